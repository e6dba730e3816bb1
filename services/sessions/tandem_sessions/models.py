"""The sessions service's tables: programmes, participants, training, matches and meetings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem_shared.db import ServiceBase, new_metadata, utcnow
from tandem_shared.messaging import messaging_tables
from tandem_shared.service import credentials_table


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class Programme(Base):
    """The rules sessions applies, from `programme.created`."""

    __tablename__ = "programmes"

    programme_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    required_training_hours: Mapped[float] = mapped_column(Float)
    target_meetings: Mapped[int] = mapped_column(Integer)
    at_risk_after_weeks: Mapped[int] = mapped_column(Integer, default=4)
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list)


class Participant(Base):
    """An accepted mentor or mentee, from `application.accepted`; ids only."""

    __tablename__ = "participants"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    programme_id: Mapped[uuid.UUID | None]
    cohort_id: Mapped[uuid.UUID | None]
    role: Mapped[str] = mapped_column(String(16))
    training_hours: Mapped[float] = mapped_column(Float, default=0.0)
    training_completed_on: Mapped[date | None] = mapped_column(Date)


class TrainingRecord(Base):
    __tablename__ = "training_records"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participants.participant_id", ondelete="CASCADE"), index=True
    )
    hours: Mapped[float] = mapped_column(Float)
    completed_on: Mapped[date] = mapped_column(Date)
    module: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Match(Base):
    """A mentoring relationship, from `match.made`, and its lifecycle here."""

    __tablename__ = "matches"
    __table_args__ = (Index("ix_matches_partner_status", "partner_id", "status"),)

    match_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    programme_id: Mapped[uuid.UUID | None]
    cohort_id: Mapped[uuid.UUID | None]
    # Nulled when the participant is erased; the match stays as an anonymous count.
    mentee_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    mentor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    started_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    meetings_held: Mapped[int] = mapped_column(Integer, default=0)
    last_met_on: Mapped[date | None] = mapped_column(Date)
    # Set when match.at_risk was emitted; cleared by the next meeting (one event per episode).
    at_risk_since: Mapped[date | None] = mapped_column(Date)
    closure: Mapped[str | None] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Meeting(Base):
    __tablename__ = "meetings"

    session_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    match_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matches.match_id", ondelete="CASCADE"), index=True
    )
    met_on: Mapped[date] = mapped_column(Date)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(32))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    meeting_number: Mapped[int] = mapped_column(Integer)


class Survey(Base):
    __tablename__ = "surveys"

    survey_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    match_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matches.match_id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    respondent_role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    scores: Mapped[dict[str, int]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Outcome(Base):
    __tablename__ = "outcomes"

    outcome_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    match_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matches.match_id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    months_after_completion: Mapped[int] = mapped_column(Integer)
    outcomes: Mapped[list[str]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


MESSAGING = messaging_tables(Base.metadata)
CREDENTIALS = credentials_table(Base.metadata)
