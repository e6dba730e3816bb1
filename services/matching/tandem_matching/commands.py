"""Coordinator commands: one unit of work each (state change + outbox events commit together)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select, text, update

from tandem_shared import domain_errors
from tandem_shared.db import utcnow
from tandem_shared.events import EventEnvelope
from tandem_shared.events.matching import (
    FactorContribution,
    MatchEnded,
    MatchMade,
    MatchProposed,
    MatchRejected,
)
from tandem_shared.messaging import UnitOfWork

from . import domain
from .engine import propose_matches
from .models import Cohort, MatchingRun, PoolMember, Programme, Proposal, TrainedMentor
from .pool import PoolRow, ProgrammeConfig, build_input

PRODUCER = "matching"


class NotFound(domain_errors.NotFound):
    """Unknown, or another partner's (→ 404 "not found")."""

    def __init__(self, detail: str = "not found") -> None:
        super().__init__(detail)


async def _lock(uow: UnitOfWork, *ids: uuid.UUID) -> None:
    """Serialise commands on the same cohort/participants (PostgreSQL advisory locks, held to
    the end of the transaction). SQLite serialises writers on its own."""
    if uow.session.bind.dialect.name != "postgresql":
        return
    for value in sorted(ids):
        key = value.int & 0x7FFF_FFFF_FFFF_FFFF
        await uow.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


async def cohort_programme(
    uow: UnitOfWork, partner_id: uuid.UUID, cohort_id: uuid.UUID
) -> uuid.UUID | None:
    """The cohort's programme; NotFound if the partner knows no such cohort."""
    cohort = await uow.session.get(Cohort, cohort_id)
    if cohort is not None:
        if cohort.partner_id != partner_id:
            raise NotFound
        return cohort.programme_id
    member = (
        await uow.session.execute(
            select(PoolMember.partner_id, PoolMember.programme_id)
            .where(PoolMember.cohort_id == cohort_id)
            .limit(1)
        )
    ).first()
    if member is None or member.partner_id != partner_id:
        raise NotFound
    return member.programme_id


def _row(member: PoolMember, trained: bool = False) -> PoolRow:
    return PoolRow(
        participant_id=member.participant_id,
        partner_id=member.partner_id,
        programme_id=member.programme_id,
        cohort_id=member.cohort_id,
        role=member.role,
        profile=member.profile,
        accepted_at=member.accepted_at,
        trained=trained,
    )


def proposal_view(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.id,
        "match_id": p.id,
        "run_id": p.run_id,
        "programme_id": p.programme_id,
        "cohort_id": p.cohort_id,
        "mentee_id": p.mentee_id,
        "mentor_id": p.mentor_id,
        "score": p.score,
        "factors": p.factors,
        "explanation": p.explanation,
        "status": p.status,
        "reason_code": p.reason_code,
        "closure": p.closure,
        "created_at": p.created_at,
        "decided_at": p.decided_at,
    }


@dataclass(frozen=True)
class CohortPool:
    """Who the matcher would see for a cohort right now."""

    mentees: list[PoolMember]
    mentors: list[PoolMember]
    trained: set[uuid.UUID]
    confirmed: set[tuple[uuid.UUID, uuid.UUID]]
    excluded: set[tuple[uuid.UUID, uuid.UUID]]

    @property
    def waiting_mentees(self) -> list[PoolMember]:
        matched = {mentee for mentee, _ in self.confirmed}
        return [m for m in self.mentees if m.participant_id not in matched]


async def load_pool(
    uow: UnitOfWork, partner_id: uuid.UUID, cohort_id: uuid.UUID, programme_id: uuid.UUID | None
) -> CohortPool:
    s = uow.session
    active = (PoolMember.partner_id == partner_id, PoolMember.status == domain.ACTIVE)
    mentees = (
        await s.scalars(
            select(PoolMember).where(
                *active, PoolMember.role == "mentee", PoolMember.cohort_id == cohort_id
            )
        )
    ).all()
    # Mentors accepted for the programme without a cohort are offered to its cohorts too.
    same_programme = (
        and_(PoolMember.cohort_id.is_(None), PoolMember.programme_id == programme_id)
        if programme_id is not None
        else false()
    )
    mentors = (
        await s.scalars(
            select(PoolMember).where(
                *active,
                PoolMember.role == "mentor",
                or_(PoolMember.cohort_id == cohort_id, same_programme),
            )
        )
    ).all()
    mentor_ids = [m.participant_id for m in mentors]
    mentee_ids = [m.participant_id for m in mentees]
    trained = set(
        (
            await s.scalars(
                select(TrainedMentor.participant_id).where(
                    TrainedMentor.participant_id.in_(mentor_ids)
                )
            )
        ).all()
    )
    involved = or_(Proposal.mentee_id.in_(mentee_ids), Proposal.mentor_id.in_(mentor_ids))
    history = (
        await s.execute(
            select(Proposal.mentee_id, Proposal.mentor_id, Proposal.status).where(
                Proposal.partner_id == partner_id,
                Proposal.status.in_([domain.CONFIRMED, *domain.EXCLUDING]),
                involved,
            )
        )
    ).all()
    confirmed = {(h.mentee_id, h.mentor_id) for h in history if h.status == domain.CONFIRMED}
    excluded = {(h.mentee_id, h.mentor_id) for h in history if h.status in domain.EXCLUDING}
    return CohortPool(list(mentees), list(mentors), trained, confirmed, excluded)


async def pool_summary(
    uow: UnitOfWork, partner_id: uuid.UUID, cohort_id: uuid.UUID
) -> dict[str, Any]:
    """What a coordinator checks before a run: is everyone the matcher needs here yet?"""
    programme_id = await cohort_programme(uow, partner_id, cohort_id)
    pool = await load_pool(uow, partner_id, cohort_id, programme_id)
    programme = await uow.session.get(Programme, programme_id) if programme_id else None
    waiting = sorted(pool.waiting_mentees, key=lambda m: (m.accepted_at, m.participant_id))
    checked = [m for m in pool.mentors if m.profile.get("checks_passed")]
    ready = [m for m in checked if m.participant_id in pool.trained]
    return {
        "cohort_id": cohort_id,
        "programme_id": programme_id,
        "programme_known": programme is not None,
        "mentees_active": len(pool.mentees),
        "mentees_matched": len(pool.mentees) - len(waiting),
        "mentees_waiting": len(waiting),
        "waiting_longest": [
            {"participant_id": m.participant_id, "waiting_since": m.accepted_at}
            for m in waiting[:20]
        ],
        "mentors_active": len(pool.mentors),
        "mentors_trained": sum(1 for m in pool.mentors if m.participant_id in pool.trained),
        "mentors_checked": len(checked),
        "mentors_ready": len(ready),
    }


async def run_matching(
    uow: UnitOfWork, partner_id: uuid.UUID, cohort_id: uuid.UUID, mode: str
) -> dict[str, Any]:
    s = uow.session
    programme_id = await cohort_programme(uow, partner_id, cohort_id)
    await _lock(uow, cohort_id)
    # Earlier runs' open proposals for this cohort are stale now.
    await s.execute(
        update(Proposal)
        .where(
            Proposal.partner_id == partner_id,
            Proposal.cohort_id == cohort_id,
            Proposal.status == domain.PROPOSED,
        )
        .values(status=domain.SUPERSEDED, decided_at=utcnow())
    )
    pool = await load_pool(uow, partner_id, cohort_id, programme_id)
    mentors, trained = pool.mentors, pool.trained
    confirmed, excluded = pool.confirmed, pool.excluded
    pool_mentees = pool.waiting_mentees

    programme = await s.get(Programme, programme_id) if programme_id else None
    config = (
        ProgrammeConfig(
            programme.programme_type, programme.matching_weights, programme.partnerships
        )
        if programme is not None and programme.partner_id == partner_id
        else None
    )
    data = build_input(
        partner_id=partner_id,
        programme_id=programme_id,
        cohort_id=cohort_id,
        mentees=[_row(m) for m in pool_mentees],
        mentors=[_row(m, m.participant_id in trained) for m in mentors],
        programme=config,
        confirmed_pairs=confirmed,
        excluded_pairs=excluded,
    )
    result = await asyncio.to_thread(propose_matches, data, mode)

    run = MatchingRun(
        id=uuid.uuid4(),
        partner_id=partner_id,
        programme_id=programme_id,
        cohort_id=cohort_id,
        mode=mode,
        created_at=utcnow(),
        mentee_count=len(pool_mentees),
        mentor_count=len(mentors),
        total_score=result.total_score,
        min_score=result.min_score,
        proposal_count=len(result.proposals),
        unmatched_count=len(result.unmatched),
    )
    s.add(run)
    rows = []
    for item in result.proposals:
        factors = domain.factors_of(item)
        proposal = Proposal(
            id=uuid.uuid4(),
            run_id=run.id,
            partner_id=partner_id,
            programme_id=programme_id,
            cohort_id=cohort_id,
            mentee_id=uuid.UUID(item.mentee_id),
            mentor_id=uuid.UUID(item.mentor_id),
            score=min(max(item.score, 0.0), 1.0),
            factors=factors,
            explanation=domain.explanation_of(item),
            status=domain.PROPOSED,
            created_at=run.created_at,
        )
        s.add(proposal)
        rows.append(proposal)
        uow.emit(
            EventEnvelope.wrap(
                MatchProposed(
                    match_id=proposal.id,
                    run_id=run.id,
                    mentee_id=proposal.mentee_id,
                    mentor_id=proposal.mentor_id,
                    score=proposal.score,
                    factors=[FactorContribution(**f) for f in factors],
                ),
                producer=PRODUCER,
                partner_id=partner_id,
                subject_id=proposal.id,
                programme_id=programme_id,
                cohort_id=cohort_id,
                correlation_id=run.id,
            )
        )
    await uow.commit()
    return {
        "id": run.id,
        "cohort_id": cohort_id,
        "programme_id": programme_id,
        "mode": mode,
        "created_at": run.created_at,
        "mentees_considered": run.mentee_count,
        "mentors_considered": run.mentor_count,
        **domain.result_summary(result),
        "proposals": [proposal_view(p) for p in rows],
        "unmatched": [domain.unmatched_of(u) for u in result.unmatched],
    }


async def get_proposal(uow: UnitOfWork, partner_id: uuid.UUID, proposal_id: uuid.UUID) -> Proposal:
    proposal = (
        await uow.session.scalars(
            select(Proposal)
            .where(Proposal.id == proposal_id, Proposal.partner_id == partner_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if proposal is None:
        raise NotFound
    return proposal


async def list_proposals(
    uow: UnitOfWork,
    partner_id: uuid.UUID,
    cohort_id: uuid.UUID,
    status: str | None,
    limit: int,
    offset: int,
) -> list[Proposal]:
    await cohort_programme(uow, partner_id, cohort_id)
    query = select(Proposal).where(
        Proposal.partner_id == partner_id, Proposal.cohort_id == cohort_id
    )
    if status:
        query = query.where(Proposal.status == status)
    query = query.order_by(Proposal.created_at.desc(), Proposal.id).limit(limit).offset(offset)
    return list((await uow.session.scalars(query)).all())


def _envelope(proposal: Proposal, payload) -> EventEnvelope:
    return EventEnvelope.wrap(
        payload,
        producer=PRODUCER,
        partner_id=proposal.partner_id,
        subject_id=proposal.id,
        programme_id=proposal.programme_id,
        cohort_id=proposal.cohort_id,
        correlation_id=proposal.run_id,
    )


async def confirm(
    uow: UnitOfWork, partner_id: uuid.UUID, proposal_id: uuid.UUID, now: datetime | None = None
) -> Proposal:
    now = now or utcnow()
    s = uow.session
    proposal = await get_proposal(uow, partner_id, proposal_id)
    await _lock(uow, proposal.mentee_id, proposal.mentor_id)
    proposal = await get_proposal(uow, partner_id, proposal_id)  # fresh, under the locks
    mentee = await s.get(PoolMember, proposal.mentee_id)
    mentor = await s.get(PoolMember, proposal.mentor_id)
    confirmed = (Proposal.status == domain.CONFIRMED, Proposal.id != proposal.id)
    mentee_matched = await s.scalar(
        select(func.count()).where(*confirmed, Proposal.mentee_id == proposal.mentee_id)
    )
    mentor_load = await s.scalar(
        select(func.count()).where(*confirmed, Proposal.mentor_id == proposal.mentor_id)
    )
    domain.check_confirmable(
        status=proposal.status,
        mentee_active=mentee is not None and mentee.status == domain.ACTIVE,
        mentor_active=mentor is not None and mentor.status == domain.ACTIVE,
        mentee_has_match=bool(mentee_matched),
        mentor_load=int(mentor_load or 0),
        mentor_capacity=int(mentor.profile.get("capacity", 1)) if mentor else 0,
    )
    proposal.status = domain.CONFIRMED
    proposal.decided_at = now
    uow.emit(
        _envelope(
            proposal,
            MatchMade(
                match_id=proposal.id,
                mentee_id=proposal.mentee_id,
                mentor_id=proposal.mentor_id,
                score=proposal.score,
                days_waited=domain.days_waited(mentee.accepted_at, now),
            ),
        )
    )
    await uow.commit()
    return proposal


async def reject(
    uow: UnitOfWork, partner_id: uuid.UUID, proposal_id: uuid.UUID, reason_code: str
) -> Proposal:
    proposal = await get_proposal(uow, partner_id, proposal_id)
    await _lock(uow, proposal.mentee_id, proposal.mentor_id)
    proposal = await get_proposal(uow, partner_id, proposal_id)
    domain.check_rejectable(proposal.status)
    proposal.status = domain.REJECTED
    proposal.reason_code = reason_code
    proposal.decided_at = utcnow()
    uow.emit(
        _envelope(
            proposal,
            MatchRejected(
                match_id=proposal.id,
                mentee_id=proposal.mentee_id,
                mentor_id=proposal.mentor_id,
                reason_code=reason_code,
            ),
        )
    )
    await uow.commit()
    return proposal


async def end_match(
    uow: UnitOfWork, partner_id: uuid.UUID, match_id: uuid.UUID, reason_code: str
) -> Proposal:
    proposal = await get_proposal(uow, partner_id, match_id)
    await _lock(uow, proposal.mentee_id, proposal.mentor_id)
    proposal = await get_proposal(uow, partner_id, match_id)
    domain.check_endable(proposal.status)
    proposal.status = domain.ENDED
    proposal.reason_code = reason_code
    proposal.decided_at = utcnow()
    uow.emit(
        _envelope(
            proposal,
            MatchEnded(
                match_id=proposal.id,
                mentee_id=proposal.mentee_id,
                mentor_id=proposal.mentor_id,
                reason_code=reason_code,
            ),
        )
    )
    await uow.commit()
    return proposal
