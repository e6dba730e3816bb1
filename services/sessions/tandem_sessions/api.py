"""HTTP API of sessions: thin routes; every query is scoped to the caller's partner."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from tandem_shared.events import EventEnvelope, EventPayload
from tandem_shared.events.sessions import (
    MatchClosed,
    OutcomeRecorded,
    SessionLogged,
    SurveySubmitted,
)
from tandem_shared.events.vocabulary import (
    ClosureKind,
    Code,
    Likert,
    MeetingMode,
    OutcomeKind,
    Role,
    SurveyKind,
)
from tandem_shared.service import (
    Body,
    Coordinator,
    Kit,
    Operator,
    Principal,
    not_found,
    today,
)

from . import domain
from .handlers import SERVICE, training_completed_event
from .jobs import scan_at_risk
from .models import Match, Meeting, Outcome, Participant, Programme, Survey, TrainingRecord

router = APIRouter()

ERASED = uuid.UUID(int=0)  # stands in for an erased participant in events that need an id


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


async def _mentor(session, principal: Principal, participant_id: uuid.UUID, *, lock: bool):
    stmt = select(Participant).where(
        Participant.participant_id == participant_id,
        Participant.partner_id == principal.partner_id,
        Participant.role == Role.MENTOR,
    )
    if lock:
        stmt = stmt.with_for_update()
    mentor = await session.scalar(stmt)
    if mentor is None:
        raise not_found("mentor")
    return mentor


async def _required_hours(session, mentor: Participant) -> float | None:
    if mentor.programme_id is None:
        return None
    programme = await session.get(Programme, mentor.programme_id)
    return programme.required_training_hours if programme else None


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
    if body.completed_on > today():
        raise HTTPException(422, detail=f"completed_on {body.completed_on} is in the future")
    async with kit.unit_of_work() as uow:
        mentor = await _mentor(uow.session, principal, body.participant_id, lock=True)
        required = await _required_hours(uow.session, mentor)
        progress = domain.add_training(
            mentor.training_hours,
            body.hours,
            required,
            already_completed=mentor.training_completed_on is not None,
        )
        uow.session.add(
            TrainingRecord(
                participant_id=mentor.participant_id,
                hours=body.hours,
                completed_on=body.completed_on,
                module=body.module,
            )
        )
        mentor.training_hours = progress.total_hours
        if progress.just_completed:
            assert required is not None
            mentor.training_completed_on = body.completed_on
            uow.emit(training_completed_event(mentor, required))
        await uow.commit()
    return _training_out(mentor, required)


@router.get("/mentors/{participant_id}/training", tags=["training"])
async def get_training(participant_id: uuid.UUID, principal: Coordinator, kit: Kit) -> TrainingOut:
    async with kit.sessions() as session:
        mentor = await _mentor(session, principal, participant_id, lock=False)
        return _training_out(mentor, await _required_hours(session, mentor))


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


async def _match(session, principal: Principal, match_id: uuid.UUID, *, lock: bool) -> Match:
    stmt = select(Match).where(Match.match_id == match_id, Match.partner_id == principal.partner_id)
    if lock:
        stmt = stmt.with_for_update()
    match = await session.scalar(stmt)
    if match is None:
        raise not_found("match")
    return match


def _event(payload: EventPayload, match: Match) -> EventEnvelope:
    return EventEnvelope.wrap(
        payload,
        producer=SERVICE,
        partner_id=match.partner_id,
        subject_id=match.match_id,
        programme_id=match.programme_id,
        cohort_id=match.cohort_id,
    )


@router.get("/matches", tags=["matches"])
async def list_matches(
    principal: Coordinator,
    kit: Kit,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    status_: Annotated[str | None, Query(alias="status", pattern="^(active|closed)$")] = None,
) -> list[MatchOut]:
    stmt = select(Match).where(Match.partner_id == principal.partner_id)
    if status_:
        stmt = stmt.where(Match.status == status_)
    stmt = stmt.order_by(Match.created_at, Match.match_id).limit(limit).offset(offset)
    async with kit.sessions() as session:
        return [_match_out(m) for m in await session.scalars(stmt)]


@router.get("/matches/{match_id}", tags=["matches"])
async def get_match(match_id: uuid.UUID, principal: Coordinator, kit: Kit) -> MatchOut:
    async with kit.sessions() as session:
        match = await _match(session, principal, match_id, lock=False)
        programme = await session.get(Programme, match.programme_id) if match.programme_id else None
        return _match_out(match, programme)


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
        match = await _match(uow.session, principal, match_id, lock=True)
        programme = (
            await uow.session.get(Programme, match.programme_id) if match.programme_id else None
        )
        domain.check_meeting(
            status=match.status,
            started_on=match.started_on,
            met_on=body.met_on,
            today=today(),
            competencies=body.competencies,
            framework=programme.competencies if programme else [],
        )
        meeting = Meeting(
            session_id=uuid.uuid4(),
            match_id=match.match_id,
            met_on=body.met_on,
            duration_minutes=body.duration_minutes,
            mode=body.mode.value,
            topics=body.topics,
            competencies=body.competencies,
            meeting_number=match.meetings_held + 1,
        )
        uow.session.add(meeting)
        match.meetings_held = meeting.meeting_number
        if match.last_met_on is None or body.met_on > match.last_met_on:
            match.last_met_on = body.met_on
        match.at_risk_since = None  # a meeting ends the at-risk episode
        uow.emit(
            _event(
                SessionLogged(
                    session_id=meeting.session_id,
                    match_id=match.match_id,
                    met_on=body.met_on,
                    duration_minutes=body.duration_minutes,
                    mode=body.mode,
                    topics=body.topics,
                    competencies=body.competencies,
                    meeting_number=meeting.meeting_number,
                ),
                match,
            )
        )
        await uow.commit()
    return SessionOut(
        session_id=meeting.session_id,
        match_id=match.match_id,
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
        match = await _match(uow.session, principal, match_id, lock=True)
        domain.check_closure(
            status=match.status,
            closure=body.closure,
            reason_code=body.reason_code,
            closed_on=body.closed_on,
            started_on=match.started_on,
            today=today(),
        )
        match.status = domain.CLOSED
        match.closure = body.closure.value
        match.reason_code = body.reason_code
        match.closed_on = body.closed_on
        uow.emit(
            _event(
                MatchClosed(
                    match_id=match.match_id,
                    mentee_id=match.mentee_id or ERASED,
                    mentor_id=match.mentor_id or ERASED,
                    closure=body.closure,
                    reason_code=body.reason_code,
                    closed_on=body.closed_on,
                    meetings_held=match.meetings_held,
                ),
                match,
            )
        )
        await uow.commit()
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
        match = await _match(uow.session, principal, match_id, lock=False)
        respondent = match.mentee_id if body.respondent_role is Role.MENTEE else match.mentor_id
        if respondent is None:
            raise HTTPException(409, detail=f"the match's {body.respondent_role} was erased")
        survey = Survey(
            survey_id=uuid.uuid4(),
            match_id=match.match_id,
            participant_id=respondent,
            respondent_role=body.respondent_role.value,
            kind=body.kind.value,
            scores=dict(body.scores),
        )
        uow.session.add(survey)
        uow.emit(
            _event(
                SurveySubmitted(
                    survey_id=survey.survey_id,
                    match_id=match.match_id,
                    participant_id=respondent,
                    respondent_role=body.respondent_role,
                    kind=body.kind,
                    scores=body.scores,
                ),
                match,
            )
        )
        await uow.commit()
    return SurveyOut(
        survey_id=survey.survey_id,
        match_id=match.match_id,
        participant_id=respondent,
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
        match = await _match(uow.session, principal, match_id, lock=False)
        domain.check_outcome_allowed(status=match.status, closure=match.closure)
        if match.mentee_id is None:
            raise HTTPException(409, detail="the match's mentee was erased")
        outcome = Outcome(
            outcome_id=uuid.uuid4(),
            match_id=match.match_id,
            participant_id=match.mentee_id,
            months_after_completion=body.months_after_completion,
            outcomes=[o.value for o in body.outcomes],
        )
        uow.session.add(outcome)
        uow.emit(
            _event(
                OutcomeRecorded(
                    outcome_id=outcome.outcome_id,
                    match_id=match.match_id,
                    participant_id=match.mentee_id,
                    months_after_completion=body.months_after_completion,
                    outcomes=body.outcomes,
                ),
                match,
            )
        )
        await uow.commit()
    return OutcomeOut(
        outcome_id=outcome.outcome_id,
        match_id=match.match_id,
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
