"""Event handlers: which participants are programme mentees or alumnae, and of which partner.

Each runs inside the consumer's unit of work (which also claims the inbox): no commits here.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, update

from tandem_shared.db import get_or_add
from tandem_shared.events import EventEnvelope
from tandem_shared.events.intake import ApplicationAccepted, ParticipantErased
from tandem_shared.events.sessions import MatchClosed
from tandem_shared.events.vocabulary import ClosureKind, Role
from tandem_shared.messaging import UnitOfWork

from .models import BursaryApplication, Mentee

SERVICE = "bursaries"


async def _mentee(uow: UnitOfWork, participant_id: uuid.UUID, envelope: EventEnvelope) -> Mentee:
    mentee = await get_or_add(
        uow.session,
        Mentee,
        participant_id=participant_id,
        defaults=dict(programme_mentee=False, alumna=False),
    )
    mentee.partner_id = envelope.partner_id
    mentee.programme_id = envelope.programme_id or mentee.programme_id
    mentee.cohort_id = envelope.cohort_id or mentee.cohort_id
    return mentee


async def on_application_accepted(
    uow: UnitOfWork, envelope: EventEnvelope, event: ApplicationAccepted
) -> None:
    if event.role is not Role.MENTEE:
        return
    mentee = await _mentee(uow, event.participant_id, envelope)
    mentee.programme_mentee = True


async def on_match_closed(uow: UnitOfWork, envelope: EventEnvelope, event: MatchClosed) -> None:
    if event.closure is not ClosureKind.COMPLETED or event.mentee_id.int == 0:
        return
    mentee = await _mentee(uow, event.mentee_id, envelope)
    mentee.alumna = True


async def on_participant_erased(
    uow: UnitOfWork, envelope: EventEnvelope, event: ParticipantErased
) -> None:
    """Forget her; her applications stay only as anonymous money figures."""
    pid = event.participant_id
    await uow.session.execute(
        update(BursaryApplication)
        .where(BursaryApplication.participant_id == pid)
        .values(participant_id=None)
    )
    await uow.session.execute(delete(Mentee).where(Mentee.participant_id == pid))
