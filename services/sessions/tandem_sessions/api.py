"""HTTP API of sessions: thin routes; every query is scoped to the caller's partner."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tandem_shared.events.vocabulary import (
    ClosureKind,
    Code,
    Likert,
    MeetingMode,
    OutcomeKind,
    Role,
    SurveyKind,
)
from tandem_shared.service import Body, Coordinator, Kit, Operator, today

from . import commands
from .jobs import scan_at_risk
from .models import Match, Participant, Programme

router = APIRouter()


# -- training -------------------------------------------------------------------------------


class TrainingIn(Body):
    participant_id: uuid.UUID
    hours: float = Field(gt=0, le=24)
    completed_on: date
    module: Code


class TrainingOut(BaseModel):
    participant_id: uuid.UUID
    total_hours: float
    required_hours: float | None
    completed: bool
    completed_on: date | None


def _training_out(mentor: Participant, required: float | None) -> TrainingOut:
    return TrainingOut(
        participant_id=mentor.participant_id,
        total_hours=mentor.training_hours,
        required_hours=required,
        completed=mentor.training_completed_on is not None,
        completed_on=mentor.training_completed_on,
    )


@router.post("/training", status_code=201, tags=["training"], summary="Log a mentor's training")
async def log_training(body: TrainingIn, principal: Coordinator, kit: Kit) -> TrainingOut:
    async with kit.unit_of_work() as uow:
        done = await commands.log_training(
            uow,
            principal.partner_id,
            body.participant_id,
            body.hours,
            body.completed_on,
            body.module,
        )
    return _training_out(done.mentor, done.required_hours)


@router.get("/mentors/{participant_id}/training", tags=["training"])
async def get_training(participant_id: uuid.UUID, principal: Coordinator, kit: Kit) -> TrainingOut:
    async with kit.sessions() as session:
        mentor = await commands.get_mentor(
            session, principal.partner_id, participant_id, lock=False
        )
        return _training_out(mentor, await commands.required_hours(session, mentor))


# -- matches --------------------------------------------------------------------------------


class MatchOut(BaseModel):
    match_id: uuid.UUID
    programme_id: uuid.UUID | None
    cohort_id: uuid.UUID | None
    mentee_id: uuid.UUID | None
    mentor_id: uuid.UUID | None
    status: str
    started_on: date
    meetings_held: int
    last_met_on: date | None
    at_risk: bool
    closure: ClosureKind | None
    reason_code: str | None
    closed_on: date | None
    # From the programme, once sessions has it: progress against the target.
    target_meetings: int | None = None
    competency_framework: list[str] | None = None


def _match_out(m: Match, programme: Programme | None = None) -> MatchOut:
    return MatchOut(
        target_meetings=programme.target_meetings if programme else None,
        competency_framework=list(programme.competencies) if programme else None,
        match_id=m.match_id,
        programme_id=m.programme_id,
        cohort_id=m.cohort_id,
        mentee_id=m.mentee_id,
        mentor_id=m.mentor_id,
        status=m.status,
        started_on=m.started_on,
        meetings_held=m.meetings_held,
        last_met_on=m.last_met_on,
        at_risk=m.at_risk_since is not None,
        closure=m.closure,
        reason_code=m.reason_code,
        closed_on=m.closed_on,
    )


@router.get("/matches", tags=["matches"])
async def list_matches(
    principal: Coordinator,
    kit: Kit,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    status_: Annotated[str | None, Query(alias="status", pattern="^(active|closed)$")] = None,
) -> list[MatchOut]:
    async with kit.sessions() as session:
        matches = await commands.list_matches(session, principal.partner_id, status_, limit, offset)
        return [_match_out(m) for m in matches]


@router.get("/matches/{match_id}", tags=["matches"])
async def get_match(match_id: uuid.UUID, principal: Coordinator, kit: Kit) -> MatchOut:
    async with kit.sessions() as session:
        match = await commands.get_match(session, principal.partner_id, match_id, lock=False)
        return _match_out(match, await commands.match_programme(session, match))


class SessionIn(Body):
    met_on: date
    duration_minutes: int = Field(ge=1, le=24 * 60)
    mode: MeetingMode
    topics: list[Code] = Field(default_factory=list, max_length=20)
    competencies: list[Code] = Field(default_factory=list, max_length=20)


class SessionOut(BaseModel):
    session_id: uuid.UUID
    match_id: uuid.UUID
    met_on: date
    meeting_number: int


@router.post("/matches/{match_id}/sessions", status_code=201, tags=["matches"])
async def log_session(
    match_id: uuid.UUID, body: SessionIn, principal: Coordinator, kit: Kit
) -> SessionOut:
    async with kit.unit_of_work() as uow:
        meeting = await commands.log_session(
            uow,
            principal.partner_id,
            match_id,
            met_on=body.met_on,
            duration_minutes=body.duration_minutes,
            mode=body.mode,
            topics=body.topics,
            competencies=body.competencies,
        )
    return SessionOut(
        session_id=meeting.session_id,
        match_id=meeting.match_id,
        met_on=meeting.met_on,
        meeting_number=meeting.meeting_number,
    )


class CloseIn(Body):
    closure: ClosureKind
    reason_code: Code | None = None
    closed_on: date


@router.post("/matches/{match_id}/close", tags=["matches"])
async def close_match(
    match_id: uuid.UUID, body: CloseIn, principal: Coordinator, kit: Kit
) -> MatchOut:
    async with kit.unit_of_work() as uow:
        match = await commands.close_match(
            uow,
            principal.partner_id,
            match_id,
            closure=body.closure,
            reason_code=body.reason_code,
            closed_on=body.closed_on,
        )
    return _match_out(match)


class SurveyIn(Body):
    respondent_role: Role
    kind: SurveyKind
    scores: dict[Code, Likert] = Field(min_length=1, max_length=50)


class SurveyOut(BaseModel):
    survey_id: uuid.UUID
    match_id: uuid.UUID
    participant_id: uuid.UUID
    respondent_role: Role
    kind: SurveyKind


@router.post("/matches/{match_id}/surveys", status_code=201, tags=["matches"])
async def submit_survey(
    match_id: uuid.UUID, body: SurveyIn, principal: Coordinator, kit: Kit
) -> SurveyOut:
    async with kit.unit_of_work() as uow:
        survey = await commands.submit_survey(
            uow,
            principal.partner_id,
            match_id,
            respondent_role=body.respondent_role,
            kind=body.kind,
            scores=body.scores,
        )
    return SurveyOut(
        survey_id=survey.survey_id,
        match_id=survey.match_id,
        participant_id=survey.participant_id,
        respondent_role=body.respondent_role,
        kind=body.kind,
    )


class OutcomeIn(Body):
    months_after_completion: int = Field(ge=0, le=60)
    outcomes: list[OutcomeKind] = Field(min_length=1, max_length=10)


class OutcomeOut(BaseModel):
    outcome_id: uuid.UUID
    match_id: uuid.UUID
    participant_id: uuid.UUID
    months_after_completion: int
    outcomes: list[OutcomeKind]


@router.post("/matches/{match_id}/outcomes", status_code=201, tags=["matches"])
async def record_outcome(
    match_id: uuid.UUID, body: OutcomeIn, principal: Coordinator, kit: Kit
) -> OutcomeOut:
    async with kit.unit_of_work() as uow:
        outcome = await commands.record_outcome(
            uow,
            principal.partner_id,
            match_id,
            months_after_completion=body.months_after_completion,
            outcomes=body.outcomes,
        )
    return OutcomeOut(
        outcome_id=outcome.outcome_id,
        match_id=outcome.match_id,
        participant_id=outcome.participant_id,
        months_after_completion=body.months_after_completion,
        outcomes=body.outcomes,
    )


# -- operations -----------------------------------------------------------------------------


class ScanOut(BaseModel):
    as_of: date
    flagged: int


@router.post("/at-risk/scan", tags=["operations"], summary="Flag matches with no recent meeting")
async def at_risk_scan(
    _: Operator, kit: Kit, as_of: Annotated[date | None, Query()] = None
) -> ScanOut:
    day = as_of or today()
    found = await scan_at_risk(kit, day)
    return ScanOut(as_of=day, flagged=len(found))
