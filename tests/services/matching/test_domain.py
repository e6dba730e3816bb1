"""Matching's rules (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tandem_matching import domain
from tandem_matching.engine import (
    Alternative,
    FactorContribution,
    Proposal,
    UnmatchedMentee,
)

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def ok(**overrides):
    values = dict(
        status=domain.PROPOSED,
        mentee_active=True,
        mentor_active=True,
        mentee_has_match=False,
        mentor_load=0,
        mentor_capacity=1,
    )
    values.update(overrides)
    domain.check_confirmable(**values)


def test_days_waited_counts_whole_days_and_never_negative():
    assert domain.days_waited(NOW - timedelta(days=21, hours=3), NOW) == 21
    assert domain.days_waited(NOW + timedelta(days=1), NOW) == 0
    assert domain.days_waited(None, NOW) == 0


def test_an_open_proposal_with_free_capacity_can_be_confirmed():
    ok()
    ok(mentor_load=1, mentor_capacity=2)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mentor_load": 1}, "no capacity"),
        ({"mentee_has_match": True}, "already matched"),
        ({"status": domain.REJECTED}, "rejected"),
        ({"status": domain.SUPERSEDED}, "superseded"),
        ({"mentee_active": False}, "mentee is no longer"),
        ({"mentor_active": False}, "mentor is no longer"),
    ],
)
def test_confirm_refusals_say_why(overrides, message):
    with pytest.raises(domain.RuleViolation, match=message):
        ok(**overrides)


def test_only_open_proposals_are_rejected_and_only_confirmed_matches_ended():
    domain.check_rejectable(domain.PROPOSED)
    domain.check_endable(domain.CONFIRMED)
    with pytest.raises(domain.RuleViolation):
        domain.check_rejectable(domain.CONFIRMED)
    with pytest.raises(domain.RuleViolation):
        domain.check_endable(domain.PROPOSED)


def test_closure_puts_an_early_ender_back_in_the_pool():
    assert domain.mentee_status_after_closure("completed") == domain.COMPLETED
    assert domain.mentee_status_after_closure("ended_early") == domain.ACTIVE
    assert {domain.REJECTED, domain.ENDED, domain.CLOSED} == domain.EXCLUDING


def test_explanations_of_proposals_and_unmatched_mentees():
    contributions = (
        FactorContribution("location", 0.9, 0.5, 0.45),
        FactorContribution("skills", 0.2, 0.5, 0.1),
    )
    best = Proposal("a", "m1", 0.55, contributions, None)
    assert domain.explanation_of(best)["strongest_factors"] == ["location", "skills"]
    assert "best-scoring" in domain.explanation_of(best)["summary"]
    alt = Alternative("m2", 0.8, "b", "swap", "m1", -0.05)
    explained = domain.explanation_of(Proposal("a", "m1", 0.55, contributions, alt))
    assert explained["best_alternative"]["holder_mentee_id"] == "b"
    assert "-0.050" in explained["summary"]
    assert domain.factors_of(best)[0] == {
        "factor": "location",
        "value": 0.9,
        "weight": 0.5,
        "contribution": 0.45,
    }
    none = domain.unmatched_of(
        UnmatchedMentee("a", "no_feasible_mentor", 2, {"mentor_not_trained": 2}, 0)
    )
    assert "mentor_not_trained: 2" in none["explanation"]
    busy = domain.unmatched_of(
        UnmatchedMentee("a", "feasible_mentors_needed_by_others", 1, {}, 1, ("m1",), {"m1": ("b",)})
    )
    assert busy["holders"] == {"m1": ["b"]}
