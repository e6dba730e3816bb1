"""Intake's tables. Personal data lives only as ciphertext (see personal_data.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem_shared.db import IdMixin, ServiceBase, TimestampMixin, new_metadata, utcnow
from tandem_shared.messaging import messaging_tables
from tandem_shared.service import credentials_table


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


MESSAGING = messaging_tables(Base.metadata)
CREDENTIALS = credentials_table(Base.metadata)


class Partner(IdMixin, TimestampMixin, Base):
    __tablename__ = "partners"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))


class Programme(IdMixin, TimestampMixin, Base):
    __tablename__ = "programmes"
    __table_args__ = (UniqueConstraint("partner_id", "slug"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    programme_type: Mapped[str] = mapped_column(String(32))
    duration_weeks: Mapped[int]
    target_meetings: Mapped[int]
    required_training_hours: Mapped[float]
    at_risk_after_weeks: Mapped[int]
    focus_areas: Mapped[list[str]] = mapped_column(JSON)
    matching_weights: Mapped[dict[str, float]] = mapped_column(JSON)
    partnerships: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    competencies: Mapped[list[str]] = mapped_column(JSON)


class Cohort(IdMixin, TimestampMixin, Base):
    __tablename__ = "cohorts"
    __table_args__ = (UniqueConstraint("programme_id", "slug"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"), index=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    applications_open: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Participant(IdMixin, TimestampMixin, Base):
    """A person, across programmes and roles (a mentee may come back as a mentor)."""

    __tablename__ = "participants"

    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"), index=True)
    # Her data key, wrapped by the master key. NULL after erasure (crypto-shredding).
    wrapped_data_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    erased_at: Mapped[datetime | None]


class Application(IdMixin, TimestampMixin, Base):
    """A mentor's application or a mentee's referral to one cohort."""

    __tablename__ = "applications"

    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"), index=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    cohort_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cohorts.id"), index=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("participants.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Ciphertext only: name, contact details, date of birth, notes …
    personal_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    # … and, separately, immigration status, health and special educational needs.
    special_category: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Coarse matching attributes (codes only); blanked on erasure.
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    checks_passed: Mapped[bool | None]
    decline_reason: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]


class AuditEntry(IdMixin, Base):
    """Who read or changed personal data, what and when. Holds no personal data itself."""

    __tablename__ = "audit_log"

    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_partner_id: Mapped[uuid.UUID | None]
    actor_slug: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    participant_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    application_id: Mapped[uuid.UUID | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
