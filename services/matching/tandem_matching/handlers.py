"""Event handlers: keep the programme rules and the candidate pool; react to closures.

Thin: each loads rows, applies a domain rule, stores. Tolerant: events about unknown things
store what they can and never raise.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, or_, select

from tandem_shared.db import get_or_add
from tandem_shared.events import EventEnvelope
from tandem_shared.events.intake import (
    ApplicationAccepted,
    ApplicationWithdrawn,
    CohortOpened,
    ParticipantErased,
    ProgrammeCreated,
)
from tandem_shared.events.matching import MatchEnded
from tandem_shared.events.sessions import MatchClosed, MentorTrainingCompleted
from tandem_shared.messaging import UnitOfWork

from . import domain
from .models import Cohort, ErasedParticipant, PoolMember, Programme, Proposal, TrainedMentor

log = logging.getLogger(__name__)
PRODUCER = "matching"


async def on_programme_created(uow: UnitOfWork, env: EventEnvelope, p: ProgrammeCreated) -> None:
    row = await get_or_add(uow.session, Programme, programme_id=p.programme_id)
    row.partner_id = env.partner_id
    row.slug = p.slug
    row.programme_type = p.programme_type.value
    row.focus_areas = [f.value for f in p.focus_areas]
    row.matching_weights = dict(p.matching_weights)
    row.partnerships = [x.model_dump(mode="json") for x in p.partnerships]


async def on_cohort_opened(uow: UnitOfWork, env: EventEnvelope, p: CohortOpened) -> None:
    row = await get_or_add(uow.session, Cohort, cohort_id=p.cohort_id)
    row.partner_id = env.partner_id
    row.programme_id = p.programme_id
    row.slug = p.slug


async def _erased(uow: UnitOfWork, participant_id) -> bool:
    return await uow.session.get(ErasedParticipant, participant_id) is not None


async def on_application_accepted(
    uow: UnitOfWork, env: EventEnvelope, p: ApplicationAccepted
) -> None:
    if await _erased(uow, p.participant_id):
        return
    row = await uow.session.get(PoolMember, p.participant_id)
    if row is None:
        row = PoolMember(participant_id=p.participant_id, accepted_at=env.occurred_at)
        uow.session.add(row)
    elif row.status != domain.ACTIVE:
        row.accepted_at = env.occurred_at  # back in the pool: she waits from now
    row.partner_id = env.partner_id
    row.programme_id = env.programme_id
    row.cohort_id = env.cohort_id
    row.application_id = p.application_id
    row.role = p.role.value
    row.profile = p.profile.model_dump(mode="json")
    row.status = domain.ACTIVE


async def on_application_withdrawn(
    uow: UnitOfWork, env: EventEnvelope, p: ApplicationWithdrawn
) -> None:
    row = await uow.session.get(PoolMember, p.participant_id)
    if row is not None and row.partner_id != env.partner_id:
        log.warning("application.withdrawn from another partner ignored: %s", env.event_id)
        return
    if row is not None:
        row.status = domain.LEFT
    involved = or_(Proposal.mentee_id == p.participant_id, Proposal.mentor_id == p.participant_id)
    proposals = (
        await uow.session.scalars(
            select(Proposal).where(involved, Proposal.partner_id == env.partner_id)
        )
    ).all()
    for proposal in proposals:
        if proposal.status == domain.PROPOSED:
            proposal.status = domain.WITHDRAWN
        elif proposal.status == domain.CONFIRMED:
            # Unwound in matching: the match had been confirmed but she withdrew.
            proposal.status = domain.ENDED
            proposal.reason_code = "withdrew"
            proposal.decided_at = env.occurred_at
            uow.emit(
                EventEnvelope.wrap(
                    MatchEnded(
                        match_id=proposal.id,
                        mentee_id=proposal.mentee_id,
                        mentor_id=proposal.mentor_id,
                        reason_code="withdrew",
                    ),
                    producer=PRODUCER,
                    partner_id=proposal.partner_id,
                    subject_id=proposal.id,
                    programme_id=proposal.programme_id,
                    cohort_id=proposal.cohort_id,
                    caused_by=env,
                )
            )


async def on_participant_erased(uow: UnitOfWork, env: EventEnvelope, p: ParticipantErased) -> None:
    """Delete everything held about her; keep only a tombstone of the opaque id."""
    pid = p.participant_id
    s = uow.session
    await s.execute(delete(PoolMember).where(PoolMember.participant_id == pid))
    await s.execute(delete(TrainedMentor).where(TrainedMentor.participant_id == pid))
    await s.execute(
        delete(Proposal).where(or_(Proposal.mentee_id == pid, Proposal.mentor_id == pid))
    )
    if await s.get(ErasedParticipant, pid) is None:
        s.add(ErasedParticipant(participant_id=pid))


async def on_training_completed(
    uow: UnitOfWork, env: EventEnvelope, p: MentorTrainingCompleted
) -> None:
    if await _erased(uow, p.participant_id):
        return
    row = await uow.session.get(TrainedMentor, p.participant_id)
    if row is None:
        uow.session.add(
            TrainedMentor(
                participant_id=p.participant_id,
                partner_id=env.partner_id,
                completed_on=p.completed_on,
            )
        )


async def on_match_closed(uow: UnitOfWork, env: EventEnvelope, p: MatchClosed) -> None:
    proposal = await uow.session.get(Proposal, p.match_id)
    if proposal is None or proposal.partner_id != env.partner_id:
        log.info("match.closed for a match matching does not hold: %s", p.match_id)
        return
    proposal.status = domain.CLOSED  # frees the mentor's capacity; the pair stays excluded
    proposal.closure = p.closure.value
    proposal.reason_code = p.reason_code
    mentee = await uow.session.get(PoolMember, proposal.mentee_id)
    if mentee is not None and mentee.status != domain.LEFT:
        mentee.status = domain.mentee_status_after_closure(p.closure.value)
