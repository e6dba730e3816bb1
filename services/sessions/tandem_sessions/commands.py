"""Sessions' use cases: one unit of work each (state change + outbox events commit together).

Each takes a UnitOfWork and plain arguments, loads (and locks) the rows, applies the rules in
`domain`, emits events and commits. An unknown, or another partner's, mentor or match is
NotFound (404); a broken rule is a DomainError raised by `domain` or here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_shared.db import utcnow
from tandem_shared.domain_errors import Conflict, InvalidRequest, NotFound
from tandem_shared.events import EventEnvelope, EventPayload
from tandem_shared.events.sessions import (
    MatchClosed,
    OutcomeRecorded,
    SessionLogged,
    SurveySubmitted,
)
from tandem_shared.events.vocabulary import (
    ClosureKind,
    MeetingMode,
    OutcomeKind,
    Role,
    SurveyKind,
)
from tandem_shared.messaging import UnitOfWork

from . import domain
from .handlers import SERVICE, training_completed_event
from .models import Match, Meeting, Outcome, Participant, Programme, Survey, TrainingRecord

ERASED = uuid.UUID(int=0)  # stands in for an erased participant in events that need an id


def _today() -> date:
    return utcnow().date()


# -- queries --------------------------------------------------------------------------------


async def get_mentor(
    session: AsyncSession, partner_id: uuid.UUID, participant_id: uuid.UUID, *, lock: bool
) -> Participant:
    stmt = select(Participant).where(
        Participant.participant_id == participant_id,
        Participant.partner_id == partner_id,
        Participant.role == Role.MENTOR,
    )
    if lock:
        stmt = stmt.with_for_update()
    mentor = await session.scalar(stmt)
    if mentor is None:
        raise NotFound("mentor not found")
    return mentor


async def required_hours(session: AsyncSession, mentor: Participant) -> float | None:
    if mentor.programme_id is None:
        return None
    programme = await session.get(Programme, mentor.programme_id)
    return programme.required_training_hours if programme else None


async def get_match(
    session: AsyncSession, partner_id: uuid.UUID, match_id: uuid.UUID, *, lock: bool
) -> Match:
    stmt = select(Match).where(Match.match_id == match_id, Match.partner_id == partner_id)
    if lock:
        stmt = stmt.with_for_update()
    match = await session.scalar(stmt)
    if match is None:
        raise NotFound("match not found")
    return match


async def match_programme(session: AsyncSession, match: Match) -> Programme | None:
    return await session.get(Programme, match.programme_id) if match.programme_id else None


async def list_matches(
    session: AsyncSession, partner_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> list[Match]:
    stmt = select(Match).where(Match.partner_id == partner_id)
    if status:
        stmt = stmt.where(Match.status == status)
    stmt = stmt.order_by(Match.created_at, Match.match_id).limit(limit).offset(offset)
    return list(await session.scalars(stmt))


def _event(payload: EventPayload, match: Match) -> EventEnvelope:
    return EventEnvelope.wrap(
        payload,
        producer=SERVICE,
        partner_id=match.partner_id,
        subject_id=match.match_id,
        programme_id=match.programme_id,
        cohort_id=match.cohort_id,
    )


# -- training -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Training:
    mentor: Participant
    required_hours: float | None


async def log_training(
    uow: UnitOfWork,
    partner_id: uuid.UUID,
    participant_id: uuid.UUID,
    hours: float,
    completed_on: date,
    module: str,
    today: date | None = None,
) -> Training:
    if completed_on > (today or _today()):
        raise InvalidRequest(f"completed_on {completed_on} is in the future")
    mentor = await get_mentor(uow.session, partner_id, participant_id, lock=True)
    required = await required_hours(uow.session, mentor)
    progress = domain.add_training(
        mentor.training_hours,
        hours,
        required,
        already_completed=mentor.training_completed_on is not None,
    )
    uow.session.add(
        TrainingRecord(
            participant_id=mentor.participant_id,
            hours=hours,
            completed_on=completed_on,
            module=module,
        )
    )
    mentor.training_hours = progress.total_hours
    if progress.just_completed:
        assert required is not None
        mentor.training_completed_on = completed_on
        uow.emit(training_completed_event(mentor, required))
    await uow.commit()
    return Training(mentor, required)


# -- matches --------------------------------------------------------------------------------


async def log_session(
    uow: UnitOfWork,
    partner_id: uuid.UUID,
    match_id: uuid.UUID,
    *,
    met_on: date,
    duration_minutes: int,
    mode: MeetingMode,
    topics: list[str],
    competencies: list[str],
    today: date | None = None,
) -> Meeting:
    match = await get_match(uow.session, partner_id, match_id, lock=True)
    programme = await match_programme(uow.session, match)
    domain.check_meeting(
        status=match.status,
        started_on=match.started_on,
        met_on=met_on,
        today=today or _today(),
        competencies=competencies,
        framework=programme.competencies if programme else [],
    )
    meeting = Meeting(
        session_id=uuid.uuid4(),
        match_id=match.match_id,
        met_on=met_on,
        duration_minutes=duration_minutes,
        mode=mode.value,
        topics=topics,
        competencies=competencies,
        meeting_number=match.meetings_held + 1,
    )
    uow.session.add(meeting)
    match.meetings_held = meeting.meeting_number
    if match.last_met_on is None or met_on > match.last_met_on:
        match.last_met_on = met_on
    match.at_risk_since = None  # a meeting ends the at-risk episode
    uow.emit(
        _event(
            SessionLogged(
                session_id=meeting.session_id,
                match_id=match.match_id,
                met_on=met_on,
                duration_minutes=duration_minutes,
                mode=mode,
                topics=topics,
                competencies=competencies,
                meeting_number=meeting.meeting_number,
            ),
            match,
        )
    )
    await uow.commit()
    return meeting


async def close_match(
    uow: UnitOfWork,
    partner_id: uuid.UUID,
    match_id: uuid.UUID,
    *,
    closure: ClosureKind,
    reason_code: str | None,
    closed_on: date,
    today: date | None = None,
) -> Match:
    match = await get_match(uow.session, partner_id, match_id, lock=True)
    domain.check_closure(
        status=match.status,
        closure=closure,
        reason_code=reason_code,
        closed_on=closed_on,
        started_on=match.started_on,
        today=today or _today(),
    )
    match.status = domain.CLOSED
    match.closure = closure.value
    match.reason_code = reason_code
    match.closed_on = closed_on
    uow.emit(
        _event(
            MatchClosed(
                match_id=match.match_id,
                mentee_id=match.mentee_id or ERASED,
                mentor_id=match.mentor_id or ERASED,
                closure=closure,
                reason_code=reason_code,
                closed_on=closed_on,
                meetings_held=match.meetings_held,
            ),
            match,
        )
    )
    await uow.commit()
    return match


async def submit_survey(
    uow: UnitOfWork,
    partner_id: uuid.UUID,
    match_id: uuid.UUID,
    *,
    respondent_role: Role,
    kind: SurveyKind,
    scores: dict[str, int],
) -> Survey:
    match = await get_match(uow.session, partner_id, match_id, lock=False)
    respondent = match.mentee_id if respondent_role is Role.MENTEE else match.mentor_id
    if respondent is None:
        raise Conflict(f"the match's {respondent_role} was erased")
    survey = Survey(
        survey_id=uuid.uuid4(),
        match_id=match.match_id,
        participant_id=respondent,
        respondent_role=respondent_role.value,
        kind=kind.value,
        scores=dict(scores),
    )
    uow.session.add(survey)
    uow.emit(
        _event(
            SurveySubmitted(
                survey_id=survey.survey_id,
                match_id=match.match_id,
                participant_id=respondent,
                respondent_role=respondent_role,
                kind=kind,
                scores=scores,
            ),
            match,
        )
    )
    await uow.commit()
    return survey


async def record_outcome(
    uow: UnitOfWork,
    partner_id: uuid.UUID,
    match_id: uuid.UUID,
    *,
    months_after_completion: int,
    outcomes: list[OutcomeKind],
) -> Outcome:
    match = await get_match(uow.session, partner_id, match_id, lock=False)
    domain.check_outcome_allowed(status=match.status, closure=match.closure)
    if match.mentee_id is None:
        raise Conflict("the match's mentee was erased")
    outcome = Outcome(
        outcome_id=uuid.uuid4(),
        match_id=match.match_id,
        participant_id=match.mentee_id,
        months_after_completion=months_after_completion,
        outcomes=[o.value for o in outcomes],
    )
    uow.session.add(outcome)
    uow.emit(
        _event(
            OutcomeRecorded(
                outcome_id=outcome.outcome_id,
                match_id=match.match_id,
                participant_id=match.mentee_id,
                months_after_completion=months_after_completion,
                outcomes=outcomes,
            ),
            match,
        )
    )
    await uow.commit()
    return outcome
