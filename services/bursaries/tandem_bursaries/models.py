"""The bursaries service's tables: funds, known mentees, applications and payments."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem_shared.db import ServiceBase, new_metadata, utcnow
from tandem_shared.messaging import messaging_tables
from tandem_shared.service import credentials_table


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class Fund(Base):
    """A funder's bursary fund. remaining = budget - committed (committed includes paid)."""

    __tablename__ = "funds"

    fund_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    funder_partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    slug: Mapped[str] = mapped_column(String(64))
    budget_pence: Mapped[int] = mapped_column(BigInteger)
    award_cap_pence: Mapped[int] = mapped_column(BigInteger)
    start_window_days: Mapped[int] = mapped_column(Integer)
    committed_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def remaining_pence(self) -> int:
        return self.budget_pence - self.committed_pence


class Mentee(Base):
    """A programme mentee (application.accepted) or alumna (match.closed completed); ids only."""

    __tablename__ = "mentees"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    programme_id: Mapped[uuid.UUID | None]
    cohort_id: Mapped[uuid.UUID | None]
    programme_mentee: Mapped[bool] = mapped_column(Boolean, default=False)
    alumna: Mapped[bool] = mapped_column(Boolean, default=False)


class BursaryApplication(Base):
    __tablename__ = "bursary_applications"

    application_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funds.fund_id"), index=True)
    # The applicant's partner: it and the fund's funder are the only ones who see it.
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    programme_id: Mapped[uuid.UUID | None]
    cohort_id: Mapped[uuid.UUID | None]
    # Nulled when she is erased; the money figures stay, anonymous.
    participant_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    course_type: Mapped[str] = mapped_column(String(64))
    requested_pence: Mapped[dict[str, int]] = mapped_column(JSON)
    programme_mentee: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(32))
    interview_at: Mapped[datetime | None]
    interview_guaranteed: Mapped[bool] = mapped_column(Boolean, default=False)
    awarded_pence: Mapped[int | None] = mapped_column(BigInteger)
    awarded_by_category: Mapped[dict[str, int] | None] = mapped_column(JSON)
    awarded_on: Mapped[date | None] = mapped_column(Date)
    start_by: Mapped[date | None] = mapped_column(Date)
    course_started_on: Mapped[date | None] = mapped_column(Date)
    paid_by_category: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    decline_reason: Mapped[str | None] = mapped_column(String(64))
    lapsed_on: Mapped[date | None] = mapped_column(Date)
    returned_pence: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payment(Base):
    __tablename__ = "payments"

    payment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bursary_applications.application_id"), index=True
    )
    category: Mapped[str] = mapped_column(String(32))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime] = mapped_column(default=utcnow)


MESSAGING = messaging_tables(Base.metadata)
CREDENTIALS = credentials_table(Base.metadata)
