"""Bursaries' rules as plain functions: no I/O, unit-tested on their own.

- interview guarantee: a programme mentee (or alumna) who applies gets an interview;
- award: never above the fund's per-award cap nor its remaining budget;
- payments: by category, never above what was awarded in that category;
- lapse: an award whose course has not started by `start_by` lapses and the unpaid money
  returns to the fund.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tandem_shared.domain_errors import Conflict, InvalidRequest

APPLIED = "applied"
INTERVIEW_SCHEDULED = "interview_scheduled"
AWARDED = "awarded"
DECLINED = "declined"
LAPSED = "lapsed"
DECIDABLE = (APPLIED, INTERVIEW_SCHEDULED)

INTERVIEW_AFTER_DAYS = 14
INTERVIEW_TIME = time(10, 0, tzinfo=UTC)


# -- funds ----------------------------------------------------------------------------------


def check_fund(budget_pence: int, award_cap_pence: int) -> None:
    if budget_pence <= 0 or award_cap_pence <= 0:
        raise InvalidRequest("budget_pence and award_cap_pence must be positive")
    if award_cap_pence > budget_pence:
        raise InvalidRequest(
            f"award_cap_pence {award_cap_pence} is more than the budget {budget_pence}"
        )


# -- interview guarantee --------------------------------------------------------------------


@dataclass(frozen=True)
class Interview:
    scheduled_for: datetime
    guaranteed: bool


def interview_for(
    *, programme_mentee: bool, alumna: bool, applied_at: datetime
) -> Interview | None:
    """Programme mentees and alumnae are guaranteed an interview, two weeks on at 10:00 UTC.
    Anyone else waits for the funder's shortlisting (no automatic interview)."""
    if not (programme_mentee or alumna):
        return None
    day = applied_at.astimezone(UTC).date() + timedelta(days=INTERVIEW_AFTER_DAYS)
    return Interview(datetime.combine(day, INTERVIEW_TIME), guaranteed=True)


# -- award ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Award:
    amount_pence: int
    by_category: dict[str, int]
    start_by: date
    fund_remaining_pence: int


def decide_award(
    *,
    status: str,
    by_category: Mapping[str, int],
    award_cap_pence: int,
    fund_remaining_pence: int,
    awarded_on: date,
    start_window_days: int,
) -> Award:
    if status not in DECIDABLE:
        raise Conflict(f"the application is already {status}")
    if any(v < 0 for v in by_category.values()):
        raise InvalidRequest("amounts must not be negative")
    amount = sum(by_category.values())
    if amount <= 0:
        raise InvalidRequest("the award must be more than 0 pence")
    if amount > award_cap_pence:
        raise InvalidRequest(
            f"award of {amount} pence is above the fund's cap of {award_cap_pence} pence"
        )
    if amount > fund_remaining_pence:
        raise InvalidRequest(
            f"award of {amount} pence is above the fund's remaining {fund_remaining_pence} pence"
        )
    return Award(
        amount_pence=amount,
        by_category={k: v for k, v in by_category.items() if v > 0},
        start_by=awarded_on + timedelta(days=start_window_days),
        fund_remaining_pence=fund_remaining_pence - amount,
    )


def check_decline(status: str) -> None:
    if status not in DECIDABLE:
        raise Conflict(f"the application is already {status}")


# -- payments and course start --------------------------------------------------------------


def check_payment(
    *,
    status: str,
    category: str,
    amount_pence: int,
    awarded_by_category: Mapping[str, int],
    paid_by_category: Mapping[str, int],
) -> None:
    if status != AWARDED:
        raise Conflict(f"payments need an awarded bursary; this one is {status}")
    if amount_pence <= 0:
        raise InvalidRequest("amount_pence must be positive")
    awarded = awarded_by_category.get(category, 0)
    paid = paid_by_category.get(category, 0)
    if paid + amount_pence > awarded:
        raise InvalidRequest(
            f"paying {amount_pence} pence for {category} would exceed the {awarded} pence "
            f"awarded ({paid} already paid)"
        )


def check_course_start(
    *, status: str, course_started_on: date | None, started_on: date, start_by: date | None
) -> None:
    if status != AWARDED:
        raise Conflict(f"only an awarded bursary's course can start; this one is {status}")
    if course_started_on is not None:
        raise Conflict(f"the course already started on {course_started_on}")
    if start_by is not None and started_on > start_by:
        raise InvalidRequest(f"started_on {started_on} is after the start-by date {start_by}")


# -- lapse ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenAward:
    application_id: uuid.UUID
    fund_id: uuid.UUID
    status: str
    start_by: date
    course_started_on: date | None
    awarded_pence: int
    paid_pence: int


@dataclass(frozen=True)
class Lapse:
    application_id: uuid.UUID
    fund_id: uuid.UUID
    returned_pence: int


def lapses(awards: Iterable[OpenAward], today: date) -> list[Lapse]:
    """Awards past their start-by date whose course has not started; unpaid money returns."""
    return [
        Lapse(a.application_id, a.fund_id, max(a.awarded_pence - a.paid_pence, 0))
        for a in awards
        if a.status == AWARDED and a.course_started_on is None and today > a.start_by
    ]
