"""The pool adapter (pure): stored rows and programme config → engine inputs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tandem_matching.engine import FactorWeights, propose_matches
from tandem_matching.pool import (
    PoolRow,
    ProgrammeConfig,
    age_from_band,
    build_input,
    factor_weights,
    partnerships_mapping,
    programme_rules,
    to_mentee,
    to_mentor,
)

PARTNER, PROGRAMME, COHORT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
BLOCK = (str(PARTNER), str(PROGRAMME), str(COHORT))


def row(role: str, pid=None, trained=False, accepted_at=None, cohort=COHORT, **profile):
    base = {
        "area": "hackney",
        "travel_radius_km": 10.0,
        "online_ok": True,
        "age_band": "25_34",
        "gender": "female",
        "skills": ["english"],
        "interests": ["cooking"],
        "languages": ["en"],
        "availability": ["tue_eve"],
        "capacity": 1,
        "checks_passed": True,
        "conflict_participant_ids": [],
    }
    base.update(profile)
    return PoolRow(
        participant_id=pid or uuid.uuid4(),
        partner_id=PARTNER,
        programme_id=PROGRAMME,
        cohort_id=cohort,
        role=role,
        profile=base,
        accepted_at=accepted_at,
        trained=trained,
    )


@pytest.mark.parametrize(
    ("band", "age"),
    [("under_16", 14), ("16_17", 16), ("18_24", 21), ("25_34", 30), ("65_plus", 70), (None, None)],
)
def test_age_band_becomes_its_midpoint(band, age):
    assert age_from_band(band) == age


def test_programme_weights_name_factors_and_missing_ones_weigh_zero():
    w = factor_weights({"location": 0.3, "age": 0.1, "skills": 0.3, "interests": 0.3, "x": 9})
    assert (w.location, w.age, w.skills, w.interests) == (0.3, 0.1, 0.3, 0.3)
    assert (w.language, w.availability) == (0.0, 0.0)


@pytest.mark.parametrize("weights", [{}, None, {"unknown": 1.0}, {"location": 0.0}])
def test_no_usable_weights_fall_back_to_engine_defaults(weights):
    assert factor_weights(weights) == FactorWeights()


def test_partnerships_become_a_school_to_employers_mapping_and_a_hard_rule():
    config = ProgrammeConfig(
        "schools",
        {},
        [
            {"school_id": "school-a", "employer_ids": ["bank-x"]},
            {"school_id": "school-a", "employer_ids": ["shop-y"]},
            {"school_id": "school-b", "employer_ids": ["bank-x"]},
        ],
    )
    assert partnerships_mapping(config.partnerships) == {
        "school-a": frozenset({"bank-x", "shop-y"}),
        "school-b": frozenset({"bank-x"}),
    }
    rules = programme_rules(config)
    assert rules.requires_partnership
    assert rules.partnerships["school-a"] == frozenset({"bank-x", "shop-y"})
    assert not programme_rules(ProgrammeConfig("refugee_women")).requires_partnership
    assert programme_rules(None).weights == FactorWeights()


def test_mentee_mapping_keeps_waiting_since_preferences_and_conflicts():
    other = uuid.uuid4()
    since = datetime(2026, 9, 1, tzinfo=UTC)
    mentee = to_mentee(
        row(
            "mentee",
            accepted_at=since,
            preferred_mentor_gender="female",
            goals=["cv_writing"],
            focus_area="employment",
            school_id="school-a",
            conflict_participant_ids=[str(other)],
        ),
        BLOCK,
    )
    assert mentee.block == BLOCK
    assert mentee.age == 30
    assert mentee.waiting_since == since
    assert mentee.preferred_mentor_gender == "female"
    assert mentee.goals == frozenset({"cv_writing"})
    assert mentee.school_id == "school-a"
    assert mentee.conflicts == frozenset({str(other)})
    assert mentee.skills == frozenset({"english"})


def test_undisclosed_gender_is_no_gender_and_no_preference():
    mentee = to_mentee(
        row("mentee", gender="undisclosed", preferred_mentor_gender="undisclosed"), BLOCK
    )
    assert mentee.gender is None
    assert mentee.preferred_mentor_gender is None


def test_mentor_mapping_trained_checked_capacity_employer():
    mentor = to_mentor(row("mentor", trained=True, capacity=3, employer_id="bank-x"), BLOCK)
    assert (mentor.trained, mentor.checked, mentor.capacity) == (True, True, 3)
    assert mentor.employer_id == "bank-x"
    unchecked = to_mentor(row("mentor", checks_passed=False), BLOCK)
    assert (unchecked.trained, unchecked.checked) == (False, False)


def test_build_input_puts_everyone_in_the_cohort_block_and_keeps_pair_sets():
    a, b, m1, m2, stranger = (uuid.uuid4() for _ in range(5))
    data = build_input(
        partner_id=PARTNER,
        programme_id=PROGRAMME,
        cohort_id=COHORT,
        mentees=[row("mentee", a)],
        mentors=[row("mentor", m1, trained=True), row("mentor", m2, trained=True, cohort=None)],
        programme=ProgrammeConfig("refugee_women", {"location": 1.0}),
        confirmed_pairs=[(b, m1), (b, stranger)],
        excluded_pairs=[(a, m2)],
    )
    assert {p.block for p in (*data.mentees, *data.mentors)} == {BLOCK}
    # a confirmed pair whose mentor is not in this input does not matter here
    assert data.confirmed_pairs == frozenset({(str(b), str(m1))})
    assert data.excluded_pairs == frozenset({(str(a), str(m2))})
    assert data.rules.weights.location == 1.0


def test_adapter_output_runs_through_the_engine():
    a, m1, m2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    data = build_input(
        partner_id=PARTNER,
        programme_id=PROGRAMME,
        cohort_id=COHORT,
        mentees=[row("mentee", a)],
        mentors=[row("mentor", m1, trained=True), row("mentor", m2, trained=False)],
        programme=None,
        excluded_pairs=[(a, m1)],
    )
    result = propose_matches(data)
    # m1 excluded, m2 untrained: nobody feasible, and the reason says so
    assert result.proposals == ()
    (unmatched,) = result.unmatched
    assert unmatched.reason == "no_feasible_mentor"
    assert unmatched.eliminated_by["mentor_not_trained"] == 1
    assert unmatched.eliminated_by["excluded_pair"] == 1
