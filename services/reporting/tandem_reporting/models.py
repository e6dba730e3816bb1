"""Reporting's read models: projections built only from events.

Counters live in one table keyed by (partner, programme, cohort, metric, dim); NIL uuid stands
for "no programme/cohort on the event". A few small state tables make each figure count the
right thing once (an application accepted twice, a mentee matched twice, a survey pair).
They hold opaque ids only and are scrubbed on `participant.erased`; counters hold no ids.
Everything here can be truncated and rebuilt by replaying the topics (see rebuild.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem_shared.db import ServiceBase, new_metadata
from tandem_shared.messaging import messaging_tables
from tandem_shared.service import credentials_table

NIL = uuid.UUID(int=0)


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class PartnerLabel(Base):
    __tablename__ = "rp_partners"

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))


class ProgrammeLabel(Base):
    __tablename__ = "rp_programmes"

    programme_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    slug: Mapped[str] = mapped_column(String(64))


class CohortLabel(Base):
    __tablename__ = "rp_cohorts"

    cohort_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    programme_id: Mapped[uuid.UUID]
    slug: Mapped[str] = mapped_column(String(64))


class Counter(Base):
    __tablename__ = "rp_counters"

    partner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    cohort_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(48), primary_key=True)
    dim: Mapped[str] = mapped_column(String(100), primary_key=True, default="")
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ApplicationState(Base):
    """Which decisions an application has had (each counted once)."""

    __tablename__ = "rp_applications"

    application_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seen: Mapped[list[str]] = mapped_column(JSON, default=list)  # event kinds counted


class TrainedMentor(Base):
    __tablename__ = "rp_trained_mentors"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class MatchedMentee(Base):
    __tablename__ = "rp_matched_mentees"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class MatchState(Base):
    """A match's key (for relationship events that lack programme/cohort) and its closure.

    If such an event arrives before `match.made` (another topic, so no ordering), the row is
    provisional (partner only) and `pending` remembers what was counted under that key; the
    match.made moves those counts to the match's programme and cohort.
    """

    __tablename__ = "rp_matches"

    match_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID]
    programme_id: Mapped[uuid.UUID]
    cohort_id: Mapped[uuid.UUID]
    mentee_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    made: Mapped[bool] = mapped_column(default=False)
    ended: Mapped[str | None] = mapped_column(String(16))  # completed | ended_early | unwound
    provisional: Mapped[bool] = mapped_column(default=False)
    pending: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # "metric|dim" → n


class SurveyPair(Base):
    """A respondent's baseline and exit scores for one match, and what they were counted as."""

    __tablename__ = "rp_survey_pairs"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    match_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    baseline: Mapped[dict[str, int] | None] = mapped_column(JSON)
    exit: Mapped[dict[str, int] | None] = mapped_column(JSON)
    counted: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)


class OutcomeState(Base):
    __tablename__ = "rp_outcomes"

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    match_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    followed_up: Mapped[bool] = mapped_column(default=False)
    job_or_course: Mapped[bool] = mapped_column(default=False)


class Fund(Base):
    __tablename__ = "rp_funds"

    fund_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    partner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    slug: Mapped[str | None] = mapped_column(String(64))
    budget_pence: Mapped[int | None] = mapped_column(BigInteger)
    remaining_pence: Mapped[int | None] = mapped_column(BigInteger)


READ_MODEL: tuple[Any, ...] = (
    PartnerLabel,
    ProgrammeLabel,
    CohortLabel,
    Counter,
    ApplicationState,
    TrainedMentor,
    MatchedMentee,
    MatchState,
    SurveyPair,
    OutcomeState,
    Fund,
)

MESSAGING = messaging_tables(Base.metadata)
CREDENTIALS = credentials_table(Base.metadata)
