"""Reporting arithmetic (pure): figures, rates, survey pairs, outcomes, suppression, gauges."""

from __future__ import annotations

import pytest

from tandem_reporting import domain as d


def counts(**kw):
    """metric or metric__dim → value."""
    return {tuple([*k.split("__"), ""][:2]): v for k, v in kw.items()}


FULL = counts(
    applications__mentor=8,
    applications__mentee=12,
    application_routes__referral=12,
    accepted__mentor=6,
    accepted__mentee=10,
    declined__mentee=2,
    mentors_trained=6,
    matches_proposed=9,
    matches_made=8,
    mentees_matched=8,
    days_to_match_total=100,
    meetings=40,
    matches_completed=6,
    matches_ended_early=2,
    outcomes_followed_up_6m=6,
    job_or_course_6m=3,
    bursaries_awarded=2,
    bursary_awarded_pence=123456,
    bursary_paid_pence__course_fees=50000,
    bursary_payments__course_fees=1,
)


def test_rates_and_means():
    f = d.build_figures(FULL)
    assert f["applications"] == {"mentor": 8, "mentee": 12, "total": 20}
    assert f["referrals"] == 12
    assert f["by_route"] == {"application": 0, "referral": 12}
    assert f["acceptance_rate"] == 0.8
    assert f["matched_share"] == 0.8  # 8 matched / 10 accepted mentees
    assert f["mean_days_to_match"] == 12.5
    assert f["meetings_per_match"] == 5.0
    assert f["completion_rate"] == 0.75  # 6 of 8 closed
    assert f["outcomes_within_six_months"] == {"followed_up": 6, "job_or_course": 3, "rate": 0.5}
    assert f["bursaries"]["awarded_amount_gbp"] == 1234.56
    assert f["bursaries"]["spend_by_category"]["course_fees"]["amount_pence"] == 50000


def test_empty_scope_has_zeros_and_no_rates():
    f = d.build_figures({})
    assert f["applications"]["total"] == 0
    assert f["acceptance_rate"] is None
    assert f["mean_days_to_match"] is None
    assert f["completion_rate"] is None
    assert f["survey_improvement"] == {}


def test_export_suppresses_counts_under_five_and_what_rests_on_them():
    f = d.build_figures(FULL, suppress=True)
    hidden = {"value": None, "suppressed": True}
    assert f["applications"]["mentor"] == {"value": 8, "suppressed": False}
    assert f["declined"]["mentee"] == hidden  # 2
    assert f["declined"]["mentor"] == hidden  # 0 is under 5 too
    assert f["acceptance_rate"] == {"value": 0.8, "suppressed": False}
    assert f["outcomes_within_six_months"]["job_or_course"] == hidden  # 3
    assert f["outcomes_within_six_months"]["rate"] == hidden  # rests on 3
    assert f["bursaries"]["awarded"] == hidden
    assert f["bursaries"]["awarded_amount_gbp"] == hidden  # two awards: amount would identify
    assert f["bursaries"]["spend_by_category"]["course_fees"]["amount_pence"] == hidden
    assert f["completion_rate"] == hidden  # 2 ended early


@pytest.mark.parametrize(
    ("baseline", "exit_", "expected"),
    [
        ({"a": 2, "b": 4}, {"a": 3, "b": 4}, {"a": True, "b": False}),
        ({"a": 2}, {"a": 1, "c": 5}, {"a": False}),
        (None, {"a": 5}, {}),
        ({"a": 1}, None, {}),
    ],
)
def test_improvement_is_exit_strictly_above_baseline(baseline, exit_, expected):
    assert d.improvements(baseline, exit_) == expected


def test_resubmitted_survey_replaces_its_counting():
    first = d.improvement_deltas("mentee", {}, {"networks": True, "self_confidence": False})
    assert first == {
        (d.SURVEY_PAIRS, "mentee.networks"): 1,
        (d.SURVEY_IMPROVED, "mentee.networks"): 1,
        (d.SURVEY_PAIRS, "mentee.self_confidence"): 1,
    }
    again = d.improvement_deltas(
        "mentee",
        {"networks": True, "self_confidence": False},
        {"networks": False, "self_confidence": False},
    )
    assert again == {(d.SURVEY_IMPROVED, "mentee.networks"): -1}


def test_survey_figures_per_role_and_dimension():
    f = d.build_figures(
        counts(
            **{
                "survey_pairs__mentee.networks": 6,
                "survey_improved__mentee.networks": 3,
                "survey_pairs__mentor.coaching": 2,
            }
        )
    )
    assert f["survey_improvement"]["mentee"]["networks"] == {
        "respondents": 6,
        "improved": 3,
        "rate": 0.5,
    }
    assert f["survey_improvement"]["mentor"]["coaching"]["rate"] == 0.0


@pytest.mark.parametrize(
    ("months", "outcomes", "expected"),
    [
        (6, ["course"], (True, True)),
        (3, ["job", "volunteering"], (True, True)),
        (6, ["volunteering"], (True, False)),
        (7, ["job"], (False, False)),
    ],
)
def test_six_month_outcomes(months, outcomes, expected):
    assert d.outcome_counts(months, outcomes) == expected


def test_gauge_samples_use_slugs_and_sum_duplicates():
    rows = [
        ("charity-a", "mentoring", d.APPLICATIONS, "mentee", 3),
        ("charity-a", "mentoring", d.APPLICATIONS, "mentee", 2),  # another cohort
        ("charity-a", None, d.MATCHES_MADE, "", 1),
        (None, "x", d.MEETINGS, "", 4),
        ("charity-a", None, d.BURSARIES_AWARDED, "", 2),
        ("charity-a", "mentoring", d.BURSARY_AWARDED_PENCE, "", 150050),
        ("charity-a", "mentoring", d.DAYS_TO_MATCH, "", 99),  # not exported
    ]
    g = d.gauge_samples(rows)
    assert g["tandem_impact_applications"] == {("charity-a", "mentoring", "mentee"): 5}
    assert g["tandem_impact_matches_made"] == {("charity-a", "none"): 1}
    assert g["tandem_impact_meetings"] == {("unknown", "x"): 4}
    assert g["tandem_impact_bursaries_awarded"] == {("charity-a",): 2}
    assert g["tandem_impact_bursary_awarded_amount_gbp"] == {("charity-a",): 1500.5}
    assert all("99" not in str(v) for v in g.values())
