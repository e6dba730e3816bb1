"""Events produced by bursaries: funds, applications, interviews, awards, payments, lapses."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from .envelope import EventPayload
from .topics import BURSARIES, FUNDS
from .vocabulary import Code, CostCategory, Pence


class FundCreated(EventPayload):
    event_type: ClassVar[str] = "fund.created"
    topic: ClassVar[str] = FUNDS.name

    fund_id: uuid.UUID
    slug: Code
    budget_pence: Pence
    award_cap_pence: Pence
    start_window_days: int = Field(default=365, ge=1, description="Time to start the course.")


class BursaryApplied(EventPayload):
    event_type: ClassVar[str] = "bursary.applied"
    topic: ClassVar[str] = BURSARIES.name

    bursary_application_id: uuid.UUID
    fund_id: uuid.UUID
    participant_id: uuid.UUID
    course_type: Code
    requested_pence: dict[CostCategory, Pence]
    programme_mentee: bool = Field(description="Programme mentees are guaranteed an interview.")


class BursaryInterviewScheduled(EventPayload):
    event_type: ClassVar[str] = "bursary.interview_scheduled"
    topic: ClassVar[str] = BURSARIES.name

    bursary_application_id: uuid.UUID
    fund_id: uuid.UUID
    scheduled_for: datetime
    guaranteed: bool


class BursaryAwarded(EventPayload):
    event_type: ClassVar[str] = "bursary.awarded"
    topic: ClassVar[str] = BURSARIES.name

    bursary_application_id: uuid.UUID
    fund_id: uuid.UUID
    participant_id: uuid.UUID
    amount_pence: Pence
    by_category: dict[CostCategory, Pence]
    start_by: date = Field(description="The award lapses if the course hasn't started by then.")
    fund_remaining_pence: Pence


class BursaryDeclined(EventPayload):
    event_type: ClassVar[str] = "bursary.declined"
    topic: ClassVar[str] = BURSARIES.name

    bursary_application_id: uuid.UUID
    fund_id: uuid.UUID
    reason_code: Code


class BursaryPaid(EventPayload):
    event_type: ClassVar[str] = "bursary.paid"
    topic: ClassVar[str] = BURSARIES.name

    bursary_application_id: uuid.UUID
    fund_id: uuid.UUID
    payment_id: uuid.UUID
    category: CostCategory
    amount_pence: Pence


class BursaryLapsed(EventPayload):
    """The course did not start in time; the unpaid money returns to the fund."""

    event_type: ClassVar[str] = "bursary.lapsed"
    topic: ClassVar[str] = BURSARIES.name

    bursary_application_id: uuid.UUID
    fund_id: uuid.UUID
    returned_pence: Pence
    fund_remaining_pence: Pence
