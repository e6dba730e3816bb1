"""Intake's rules, as plain functions without I/O: screening states, age bands, validation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from tandem_shared.events.vocabulary import AgeBand, ProgrammeType, Role

MIN_MENTOR_AGE = 18
MAX_AGE = 120


# -- screening state machine -------------------------------------------------------------
class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


S = ApplicationStatus
TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.SUBMITTED: frozenset({S.ACCEPTED, S.WAITLISTED, S.DECLINED, S.WITHDRAWN}),
    S.WAITLISTED: frozenset({S.ACCEPTED, S.DECLINED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.WITHDRAWN}),
    S.DECLINED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
# Still in the running: a second application to the same cohort would be a duplicate.
OPEN_STATUSES = frozenset({S.SUBMITTED, S.WAITLISTED, S.ACCEPTED})


class InvalidTransition(Exception):
    def __init__(self, current: ApplicationStatus, target: ApplicationStatus) -> None:
        self.current, self.target = current, target
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (final)"
        super().__init__(
            f"cannot move an application from '{current}' to '{target}'; "
            f"from '{current}' it can go to: {allowed}"
        )


def transition(current: ApplicationStatus | str, target: ApplicationStatus | str) -> S:
    """The new status, or InvalidTransition."""
    current, target = ApplicationStatus(current), ApplicationStatus(target)
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    return target


# -- ages --------------------------------------------------------------------------------
def age_on(date_of_birth: date, on: date) -> int:
    """Completed years of age on a day."""
    return (
        on.year
        - date_of_birth.year
        - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    )


_BANDS: tuple[tuple[int, AgeBand], ...] = (
    (65, AgeBand.AGE_65_PLUS),
    (55, AgeBand.AGE_55_64),
    (45, AgeBand.AGE_45_54),
    (35, AgeBand.AGE_35_44),
    (25, AgeBand.AGE_25_34),
    (18, AgeBand.AGE_18_24),
    (16, AgeBand.AGE_16_17),
)


def age_band(date_of_birth: date, on: date) -> AgeBand:
    """The coarse band that travels in events instead of the date of birth."""
    age = age_on(date_of_birth, on)
    for lower, band in _BANDS:
        if age >= lower:
            return band
    return AgeBand.UNDER_16


# -- validation --------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class RuleViolation(Exception):
    """One or more business rules failed; `problems` says which field and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))


def raise_if(problems: Iterable[Problem]) -> None:
    problems = list(problems)
    if problems:
        raise RuleViolation(problems)


def cohort_date_problems(applications_open: date, starts_on: date, ends_on: date) -> list[Problem]:
    problems = []
    if applications_open > starts_on:
        problems.append(
            Problem("applications_open", "applications must open on or before starts_on")
        )
    if starts_on >= ends_on:
        problems.append(Problem("ends_on", "ends_on must be after starts_on"))
    return problems


def programme_problems(
    programme_type: ProgrammeType | str,
    focus_areas: Sequence[str],
    partnerships: Sequence[tuple[str, Sequence[str]]],
    matching_weights: dict[str, float],
) -> list[Problem]:
    problems = []
    if not focus_areas:
        problems.append(Problem("focus_areas", "a programme needs at least one focus area"))
    if len(set(focus_areas)) != len(focus_areas):
        problems.append(Problem("focus_areas", "focus areas must not repeat"))
    schools = [school for school, _ in partnerships]
    if len(set(schools)) != len(schools):
        problems.append(Problem("partnerships", "each school may appear only once"))
    if ProgrammeType(programme_type) is ProgrammeType.SCHOOLS and not partnerships:
        problems.append(
            Problem("partnerships", "a schools programme needs at least one school partnership")
        )
    if any(w < 0 for w in matching_weights.values()):
        problems.append(Problem("matching_weights", "weights must not be negative"))
    elif matching_weights and sum(matching_weights.values()) <= 0:
        problems.append(Problem("matching_weights", "at least one weight must be positive"))
    return problems


@dataclass(frozen=True)
class ProgrammeRules:
    """What of a programme and cohort an application is checked against."""

    programme_type: ProgrammeType
    focus_areas: Sequence[str]
    partnerships: dict[str, Sequence[str]] = field(default_factory=dict)  # school → employers
    applications_open: date | None = None
    ends_on: date | None = None

    @property
    def is_schools(self) -> bool:
        return self.programme_type is ProgrammeType.SCHOOLS

    @property
    def employers(self) -> set[str]:
        return {e for employers in self.partnerships.values() for e in employers}


@dataclass(frozen=True)
class Candidate:
    """The checkable facts of an application or referral."""

    role: Role
    date_of_birth: date
    focus_area: str | None = None
    school_id: str | None = None
    employer_id: str | None = None
    preferred_mentor_gender: str | None = None
    capacity: int = 1


def application_problems(rules: ProgrammeRules, c: Candidate, today: date) -> list[Problem]:
    """Every rule an application breaks (empty when it may be submitted)."""
    problems: list[Problem] = []
    if rules.applications_open and today < rules.applications_open:
        problems.append(
            Problem("cohort_id", f"applications to this cohort open on {rules.applications_open}")
        )
    if rules.ends_on and today >= rules.ends_on:
        problems.append(Problem("cohort_id", f"this cohort ended on {rules.ends_on}"))

    if c.date_of_birth > today:
        problems.append(Problem("date_of_birth", "date of birth is in the future"))
    elif age_on(c.date_of_birth, today) > MAX_AGE:
        problems.append(Problem("date_of_birth", f"date of birth gives an age over {MAX_AGE}"))
    elif c.role is Role.MENTOR and age_on(c.date_of_birth, today) < MIN_MENTOR_AGE:
        problems.append(Problem("date_of_birth", f"mentors must be at least {MIN_MENTOR_AGE}"))

    if c.focus_area is not None and c.focus_area not in rules.focus_areas:
        allowed = ", ".join(rules.focus_areas)
        problems.append(
            Problem("focus_area", f"'{c.focus_area}' is not one of the programme's: {allowed}")
        )

    if c.role is Role.MENTEE:
        if c.focus_area is None:
            problems.append(Problem("focus_area", "a mentee must pick one focus area"))
        if c.employer_id is not None:
            problems.append(Problem("employer_id", "employer_id is for mentors"))
        if c.capacity != 1:
            problems.append(Problem("capacity", "capacity is for mentors"))
        if rules.is_schools:
            if c.school_id is None:
                problems.append(Problem("school_id", "a schools programme mentee needs school_id"))
            elif c.school_id not in rules.partnerships:
                allowed = ", ".join(sorted(rules.partnerships))
                problems.append(
                    Problem("school_id", f"'{c.school_id}' is not a partner school: {allowed}")
                )
        elif c.school_id is not None:
            problems.append(Problem("school_id", "school_id is only for schools programmes"))
    else:
        if c.school_id is not None:
            problems.append(Problem("school_id", "school_id is for mentees"))
        if c.preferred_mentor_gender is not None:
            problems.append(Problem("preferred_mentor_gender", "this preference is for mentees"))
        if rules.is_schools:
            if c.employer_id is None:
                problems.append(
                    Problem("employer_id", "a schools programme mentor needs employer_id")
                )
            elif c.employer_id not in rules.employers:
                allowed = ", ".join(sorted(rules.employers))
                problems.append(
                    Problem(
                        "employer_id", f"'{c.employer_id}' is not a partner employer: {allowed}"
                    )
                )
    return problems
