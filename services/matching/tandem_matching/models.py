"""Matching's own tables: programme rules, the candidate pool, runs and proposals.

A proposal's id is the match id: a confirmed proposal IS the match (status `confirmed`), and
its later life (`ended` here, `closed` by sessions) is kept on the same row.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem_shared.db import IdMixin, ServiceBase, new_metadata, utcnow
from tandem_shared.messaging import messaging_tables
from tandem_shared.service import credentials_table


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class Programme(Base):
    """Programme rules from `programme.created`."""

    __tablename__ = "programmes"

    programme_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    slug: Mapped[str] = mapped_column(String(64))
    programme_type: Mapped[str] = mapped_column(String(32))
    focus_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    matching_weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    partnerships: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Cohort(Base):
    """Cohorts from `cohort.opened`."""

    __tablename__ = "cohorts"

    cohort_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    programme_id: Mapped[uuid.UUID]
    slug: Mapped[str] = mapped_column(String(64))


class PoolMember(Base):
    """An accepted mentor or mentee (from `application.accepted`) with her coarse profile."""

    __tablename__ = "pool_members"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    programme_id: Mapped[uuid.UUID | None]
    cohort_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    application_id: Mapped[uuid.UUID]
    role: Mapped[str] = mapped_column(String(16))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    accepted_at: Mapped[datetime]  # the mentee's waiting-since
    # active | withdrawn | completed (a mentee whose match closed as completed)
    status: Mapped[str] = mapped_column(String(16), default="active")


class TrainedMentor(Base):
    """`mentor.training_completed`: kept apart from the pool, which may be filled later."""

    __tablename__ = "trained_mentors"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    completed_on: Mapped[date]


class ErasedParticipant(Base):
    """Tombstone of an erased participant (opaque id only): a replayed acceptance is ignored."""

    __tablename__ = "erased_participants"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatchingRun(Base, IdMixin):
    __tablename__ = "matching_runs"

    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    programme_id: Mapped[uuid.UUID | None]
    cohort_id: Mapped[uuid.UUID] = mapped_column(index=True)
    mode: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    mentee_count: Mapped[int]
    mentor_count: Mapped[int]
    total_score: Mapped[float]
    min_score: Mapped[float | None]
    proposal_count: Mapped[int]
    # Counts only: the unmatched mentees and their reasons are returned by the run request and
    # not stored, so an erasure never has to scrub ids out of JSON.
    unmatched_count: Mapped[int]


class Proposal(Base, IdMixin):
    """A proposed pair; `id` is the match id all match.* events carry."""

    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_cohort_status", "cohort_id", "status"),
        Index("ix_proposals_mentee", "mentee_id"),
        Index("ix_proposals_mentor", "mentor_id"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(index=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    programme_id: Mapped[uuid.UUID | None]
    cohort_id: Mapped[uuid.UUID]
    mentee_id: Mapped[uuid.UUID]
    mentor_id: Mapped[uuid.UUID]
    score: Mapped[float]
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # proposed | superseded | withdrawn | confirmed | rejected | ended | closed
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    reason_code: Mapped[str | None] = mapped_column(String(64))
    closure: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


messaging_tables(Base.metadata)
CREDENTIALS = credentials_table(Base.metadata)
