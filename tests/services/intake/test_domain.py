"""Intake's pure rules: screening transitions, age bands, validation helpers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_intake import domain
from tandem_intake.domain import (
    ApplicationStatus as S,
)
from tandem_intake.domain import (
    Candidate,
    InvalidTransition,
    ProgrammeRules,
    age_band,
    age_on,
    application_problems,
    transition,
)
from tandem_shared.events.vocabulary import AgeBand, ProgrammeType, Role

TODAY = date(2026, 9, 1)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.SUBMITTED, S.ACCEPTED),
        (S.SUBMITTED, S.WAITLISTED),
        (S.SUBMITTED, S.DECLINED),
        (S.SUBMITTED, S.WITHDRAWN),
        (S.WAITLISTED, S.ACCEPTED),
        (S.WAITLISTED, S.DECLINED),
        (S.WAITLISTED, S.WITHDRAWN),
        (S.ACCEPTED, S.WITHDRAWN),
    ],
)
def test_allowed_transitions(current, target):
    assert transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.ACCEPTED, S.DECLINED),
        (S.ACCEPTED, S.WAITLISTED),
        (S.ACCEPTED, S.ACCEPTED),
        (S.DECLINED, S.ACCEPTED),
        (S.WITHDRAWN, S.ACCEPTED),
        (S.WAITLISTED, S.WAITLISTED),
        (S.SUBMITTED, S.SUBMITTED),
    ],
)
def test_forbidden_transitions_say_from_and_to(current, target):
    with pytest.raises(InvalidTransition) as err:
        transition(current, target)
    assert err.value.current is current and err.value.target is target
    assert f"'{current}'" in str(err.value) and f"'{target}'" in str(err.value)


def test_final_states_have_no_way_out():
    assert not domain.TRANSITIONS[S.DECLINED] and not domain.TRANSITIONS[S.WITHDRAWN]
    assert set(domain.TRANSITIONS) == set(S)


def test_transition_accepts_strings():
    assert transition("submitted", "accepted") is S.ACCEPTED


@pytest.mark.parametrize(
    ("dob", "band"),
    [
        (date(2011, 9, 2), AgeBand.UNDER_16),  # 14
        (date(2010, 9, 1), AgeBand.AGE_16_17),  # 16 today
        (date(2008, 9, 2), AgeBand.AGE_16_17),  # 18 tomorrow
        (date(2008, 9, 1), AgeBand.AGE_18_24),  # 18 today
        (date(2001, 9, 2), AgeBand.AGE_18_24),  # 24
        (date(2001, 9, 1), AgeBand.AGE_25_34),
        (date(1990, 1, 1), AgeBand.AGE_35_44),
        (date(1980, 1, 1), AgeBand.AGE_45_54),
        (date(1970, 1, 1), AgeBand.AGE_55_64),
        (date(1961, 9, 1), AgeBand.AGE_65_PLUS),
    ],
)
def test_age_band_boundaries(dob, band):
    assert age_band(dob, TODAY) is band


def test_age_on_leap_day_birthday():
    assert age_on(date(2000, 2, 29), date(2018, 2, 28)) == 17
    assert age_on(date(2000, 2, 29), date(2018, 3, 1)) == 18


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_age_band_is_consistent_with_age(dob):
    age = age_on(dob, TODAY)
    assert age >= 0
    band = age_band(dob, TODAY)
    if age >= 65:
        assert band is AgeBand.AGE_65_PLUS
    elif age < 16:
        assert band is AgeBand.UNDER_16
    else:
        low, _, high = band.value.partition("_")
        assert int(low) <= age <= int(high)


def test_cohort_dates():
    assert domain.cohort_date_problems(date(2026, 8, 5), date(2026, 10, 1), date(2027, 2, 28)) == []
    assert (
        domain.cohort_date_problems(date(2026, 10, 1), date(2026, 10, 1), date(2026, 10, 2)) == []
    )
    fields = [
        p.field
        for p in domain.cohort_date_problems(
            date(2026, 11, 1), date(2026, 10, 1), date(2026, 10, 1)
        )
    ]
    assert fields == ["applications_open", "ends_on"]


def test_programme_problems():
    assert domain.programme_problems("refugee_women", ["employment"], [], {"age": 1}) == []
    problems = domain.programme_problems("schools", [], [], {"age": -1})
    assert {p.field for p in problems} == {"focus_areas", "partnerships", "matching_weights"}
    dupes = domain.programme_problems(
        "schools", ["education", "education"], [("s", ["e"]), ("s", ["f"])], {}
    )
    assert {p.field for p in dupes} == {"focus_areas", "partnerships"}


REFUGEE = ProgrammeRules(
    ProgrammeType.REFUGEE_WOMEN,
    ["employment", "education"],
    applications_open=date(2026, 8, 5),
    ends_on=date(2027, 2, 28),
)
SCHOOLS = ProgrammeRules(
    ProgrammeType.SCHOOLS, ["education"], {"school-a": ["bank-x"], "school-b": ["shop-y"]}
)


def fields(rules, candidate, today=TODAY):
    return {p.field: p.message for p in application_problems(rules, candidate, today)}


def test_valid_mentee_and_mentor():
    mentee = Candidate(Role.MENTEE, date(1995, 1, 1), focus_area="employment")
    mentor = Candidate(Role.MENTOR, date(1980, 1, 1), capacity=2, employer_id="sponsor-co")
    assert fields(REFUGEE, mentee) == {}
    assert fields(REFUGEE, mentor) == {}


def test_mentee_needs_a_programme_focus_area():
    assert "focus_area" in fields(REFUGEE, Candidate(Role.MENTEE, date(1995, 1, 1)))
    wrong = fields(REFUGEE, Candidate(Role.MENTEE, date(1995, 1, 1), focus_area="volunteering"))
    assert "not one of the programme's: employment, education" in wrong["focus_area"]


def test_dates_of_birth_and_ages():
    assert (
        "future"
        in fields(REFUGEE, Candidate(Role.MENTEE, date(2027, 1, 1), focus_area="employment"))[
            "date_of_birth"
        ]
    )
    assert (
        "at least 18" in fields(REFUGEE, Candidate(Role.MENTOR, date(2010, 1, 1)))["date_of_birth"]
    )
    assert "over 120" in fields(REFUGEE, Candidate(Role.MENTOR, date(1900, 1, 1)))["date_of_birth"]


def test_application_window():
    mentor = Candidate(Role.MENTOR, date(1980, 1, 1))
    assert "open on 2026-08-05" in fields(REFUGEE, mentor, date(2026, 8, 4))["cohort_id"]
    assert fields(REFUGEE, mentor, date(2026, 8, 5)) == {}
    assert "ended" in fields(REFUGEE, mentor, date(2027, 2, 28))["cohort_id"]


def test_schools_programme_partnerships():
    ok_mentee = Candidate(
        Role.MENTEE, date(2010, 1, 1), focus_area="education", school_id="school-a"
    )
    assert fields(SCHOOLS, ok_mentee) == {}
    no_school = Candidate(Role.MENTEE, date(2010, 1, 1), focus_area="education")
    assert "needs school_id" in fields(SCHOOLS, no_school)["school_id"]
    bad_school = Candidate(Role.MENTEE, date(2010, 1, 1), focus_area="education", school_id="x")
    assert "not a partner school: school-a, school-b" in fields(SCHOOLS, bad_school)["school_id"]
    assert fields(SCHOOLS, Candidate(Role.MENTOR, date(1980, 1, 1), employer_id="bank-x")) == {}
    assert (
        "needs employer_id"
        in fields(SCHOOLS, Candidate(Role.MENTOR, date(1980, 1, 1)))["employer_id"]
    )
    bad_employer = Candidate(Role.MENTOR, date(1980, 1, 1), employer_id="nope")
    assert "bank-x, shop-y" in fields(SCHOOLS, bad_employer)["employer_id"]


def test_role_specific_fields():
    mentee = Candidate(
        Role.MENTEE,
        date(1995, 1, 1),
        focus_area="employment",
        employer_id="e",
        capacity=2,
        school_id="s",
    )
    assert set(fields(REFUGEE, mentee)) == {"employer_id", "capacity", "school_id"}
    mentor = Candidate(
        Role.MENTOR, date(1980, 1, 1), school_id="s", preferred_mentor_gender="female"
    )
    assert set(fields(REFUGEE, mentor)) == {"school_id", "preferred_mentor_gender"}


def test_rule_violation_lists_every_problem():
    err = domain.RuleViolation([domain.Problem("a", "x"), domain.Problem("b", "y")])
    assert str(err) == "a: x; b: y"
    with pytest.raises(domain.RuleViolation):
        domain.raise_if([domain.Problem("a", "x")])
    domain.raise_if([])
