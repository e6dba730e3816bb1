"""Event handlers: keep the local registry of programmes, participants and matches.

Each runs inside the consumer's unit of work (which also claims the inbox): no commits here.
Tolerant: an event about something unknown stores what it can and never raises.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from tandem_shared.db import get_or_add
from tandem_shared.events import EventEnvelope
from tandem_shared.events.intake import ApplicationAccepted, ParticipantErased, ProgrammeCreated
from tandem_shared.events.matching import MatchMade
from tandem_shared.events.sessions import MentorTrainingCompleted
from tandem_shared.events.vocabulary import Role
from tandem_shared.messaging import UnitOfWork

from . import domain
from .models import Match, Outcome, Participant, Programme, Survey, TrainingRecord

SERVICE = "sessions"


async def on_programme_created(
    uow: UnitOfWork, envelope: EventEnvelope, event: ProgrammeCreated
) -> None:
    programme = await get_or_add(uow.session, Programme, programme_id=event.programme_id)
    programme.partner_id = envelope.partner_id
    programme.required_training_hours = event.required_training_hours
    programme.target_meetings = event.target_meetings
    programme.at_risk_after_weeks = event.at_risk_after_weeks
    programme.competencies = list(event.competencies)
    # Mentors who logged hours before we heard of the programme may be complete already.
    mentors = await uow.session.scalars(
        select(Participant).where(
            Participant.programme_id == event.programme_id,
            Participant.partner_id == envelope.partner_id,
            Participant.role == Role.MENTOR,
            Participant.training_completed_on.is_(None),
        )
    )
    for mentor in mentors:
        if domain.training_now_complete(
            mentor.training_hours, event.required_training_hours, already_completed=False
        ):
            last = await uow.session.scalar(
                select(TrainingRecord.completed_on)
                .where(TrainingRecord.participant_id == mentor.participant_id)
                .order_by(TrainingRecord.completed_on.desc())
                .limit(1)
            )
            if last is None:
                continue
            mentor.training_completed_on = last
            uow.emit(
                training_completed_event(mentor, event.required_training_hours, caused_by=envelope)
            )


def training_completed_event(
    mentor: Participant, required_hours: float, caused_by: EventEnvelope | None = None
) -> EventEnvelope:
    assert mentor.training_completed_on is not None
    return EventEnvelope.wrap(
        MentorTrainingCompleted(
            participant_id=mentor.participant_id,
            hours_completed=mentor.training_hours,
            required_hours=required_hours,
            completed_on=mentor.training_completed_on,
        ),
        producer=SERVICE,
        partner_id=mentor.partner_id,
        subject_id=mentor.participant_id,
        programme_id=mentor.programme_id,
        cohort_id=mentor.cohort_id,
        caused_by=caused_by,
    )


async def on_application_accepted(
    uow: UnitOfWork, envelope: EventEnvelope, event: ApplicationAccepted
) -> None:
    participant = await get_or_add(
        uow.session,
        Participant,
        participant_id=event.participant_id,
        defaults=dict(training_hours=0.0, training_completed_on=None),
    )
    participant.partner_id = envelope.partner_id
    participant.programme_id = envelope.programme_id
    participant.cohort_id = envelope.cohort_id
    participant.role = event.role.value


async def on_match_made(uow: UnitOfWork, envelope: EventEnvelope, event: MatchMade) -> None:
    if await uow.session.get(Match, event.match_id) is not None:
        return  # already known: a match is created once
    uow.session.add(
        Match(
            match_id=event.match_id,
            partner_id=envelope.partner_id,
            programme_id=envelope.programme_id,
            cohort_id=envelope.cohort_id,
            mentee_id=event.mentee_id,
            mentor_id=event.mentor_id,
            started_on=envelope.occurred_at.date(),
            status=domain.ACTIVE,
            meetings_held=0,
        )
    )


async def on_participant_erased(
    uow: UnitOfWork, envelope: EventEnvelope, event: ParticipantErased
) -> None:
    """Delete what we hold about her; matches and meetings stay as anonymous counts."""
    pid = event.participant_id
    s = uow.session
    await s.execute(delete(TrainingRecord).where(TrainingRecord.participant_id == pid))
    await s.execute(delete(Survey).where(Survey.participant_id == pid))
    await s.execute(delete(Outcome).where(Outcome.participant_id == pid))
    await s.execute(update(Match).where(Match.mentee_id == pid).values(mentee_id=None))
    await s.execute(update(Match).where(Match.mentor_id == pid).values(mentor_id=None))
    await s.execute(delete(Participant).where(Participant.participant_id == pid))
