"""Events produced by sessions: training, meetings, risk, closure, surveys and outcomes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from pydantic import Field

from .envelope import EventPayload
from .topics import RELATIONSHIPS, TRAINING
from .vocabulary import ClosureKind, Code, Likert, MeetingMode, OutcomeKind, Role, SurveyKind


class MentorTrainingCompleted(EventPayload):
    """The mentor reached her programme's required training hours: she can now be matched."""

    event_type: ClassVar[str] = "mentor.training_completed"
    topic: ClassVar[str] = TRAINING.name

    participant_id: uuid.UUID
    hours_completed: float = Field(ge=0)
    required_hours: float = Field(ge=0)
    completed_on: date


class SessionLogged(EventPayload):
    """One mentoring meeting. What was worked on travels as codes, never as notes."""

    event_type: ClassVar[str] = "session.logged"
    topic: ClassVar[str] = RELATIONSHIPS.name

    session_id: uuid.UUID
    match_id: uuid.UUID
    met_on: date
    duration_minutes: int = Field(ge=1, le=24 * 60)
    mode: MeetingMode
    topics: list[Code] = Field(default_factory=list)
    competencies: list[Code] = Field(default_factory=list)
    meeting_number: int = Field(ge=1, description="1 for the match's first meeting, …")


class MatchAtRisk(EventPayload):
    """No meeting for longer than the programme allows; the coordinator should act."""

    event_type: ClassVar[str] = "match.at_risk"
    topic: ClassVar[str] = RELATIONSHIPS.name

    match_id: uuid.UUID
    last_met_on: date | None
    weeks_without_meeting: int = Field(ge=0)


class MatchClosed(EventPayload):
    event_type: ClassVar[str] = "match.closed"
    topic: ClassVar[str] = RELATIONSHIPS.name

    match_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    closure: ClosureKind
    reason_code: Code | None = None
    closed_on: date
    meetings_held: int = Field(ge=0)


class SurveySubmitted(EventPayload):
    """A baseline or exit survey on Likert scales, dimension code → score."""

    event_type: ClassVar[str] = "survey.submitted"
    topic: ClassVar[str] = RELATIONSHIPS.name

    survey_id: uuid.UUID
    match_id: uuid.UUID
    participant_id: uuid.UUID
    respondent_role: Role
    kind: SurveyKind
    scores: dict[Code, Likert]


class OutcomeRecorded(EventPayload):
    """Follow-up after completion: what the mentee went on to start."""

    event_type: ClassVar[str] = "outcome.recorded"
    topic: ClassVar[str] = RELATIONSHIPS.name

    outcome_id: uuid.UUID
    match_id: uuid.UUID
    participant_id: uuid.UUID
    months_after_completion: int = Field(ge=0, le=60)
    outcomes: list[OutcomeKind] = Field(min_length=1)
