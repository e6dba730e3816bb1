"""Bursaries' use cases: one unit of work each (state change + outbox events commit together).

Each takes a UnitOfWork and plain arguments, loads (and locks) the rows, applies the rules in
`domain`, emits events and commits. An application the caller may not see is NotFound (404);
a caller who may see it but is not the fund's funder is Forbidden (403) for decisions and
payments; a broken rule is a DomainError raised by `domain` or here.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_shared.db import utcnow
from tandem_shared.domain_errors import Forbidden, InvalidRequest, NotFound
from tandem_shared.events import EventEnvelope, EventPayload
from tandem_shared.events.bursaries import (
    BursaryApplied,
    BursaryAwarded,
    BursaryDeclined,
    BursaryInterviewScheduled,
    BursaryPaid,
    FundCreated,
)
from tandem_shared.events.vocabulary import CostCategory
from tandem_shared.messaging import UnitOfWork

from . import domain
from .handlers import SERVICE
from .models import CREDENTIALS, BursaryApplication, Fund, Mentee, Payment

ERASED = uuid.UUID(int=0)  # stands in for an erased participant in events that need an id


def _today() -> date:
    return utcnow().date()


# -- queries --------------------------------------------------------------------------------


async def list_funds(session: AsyncSession, limit: int, offset: int) -> list[Fund]:
    stmt = select(Fund).order_by(Fund.created_at, Fund.fund_id).limit(limit).offset(offset)
    return list(await session.scalars(stmt))


async def get_fund(session: AsyncSession, fund_id: uuid.UUID) -> Fund | None:
    return await session.get(Fund, fund_id)


async def list_applications(
    session: AsyncSession, partner_id: uuid.UUID, *, as_funder: bool, limit: int, offset: int
) -> list[BursaryApplication]:
    """A funder sees applications to its funds; anyone else its own mentees' applications."""
    stmt = select(BursaryApplication).join(Fund)
    if as_funder:
        stmt = stmt.where(Fund.funder_partner_id == partner_id)
    else:
        stmt = stmt.where(BursaryApplication.partner_id == partner_id)
    stmt = stmt.order_by(BursaryApplication.created_at, BursaryApplication.application_id)
    return list(await session.scalars(stmt.limit(limit).offset(offset)))


async def visible_application(
    session: AsyncSession, partner_id: uuid.UUID | None, application_id: uuid.UUID, *, lock: bool
) -> tuple[BursaryApplication, Fund]:
    """The application and its fund, if the caller may see them; locked (application, then
    fund: the same order everywhere) when `lock`."""
    stmt = select(BursaryApplication).where(BursaryApplication.application_id == application_id)
    application = await session.scalar(stmt.with_for_update() if lock else stmt)
    if application is None:
        raise NotFound("bursary application not found")
    fund_stmt = select(Fund).where(Fund.fund_id == application.fund_id)
    fund = await session.scalar(fund_stmt.with_for_update() if lock else fund_stmt)
    if partner_id not in (application.partner_id, fund.funder_partner_id):
        raise NotFound("bursary application not found")
    return application, fund


def _funder_only(partner_id: uuid.UUID | None, fund: Fund) -> None:
    if partner_id != fund.funder_partner_id:
        raise Forbidden("only the fund's funder decides and pays")


def _event(payload: EventPayload, a: BursaryApplication) -> EventEnvelope:
    # The mentee's partner owns the envelope, so its reports see its mentees' awards.
    return EventEnvelope.wrap(
        payload,
        producer=SERVICE,
        partner_id=a.partner_id,
        subject_id=a.application_id,
        programme_id=a.programme_id,
        cohort_id=a.cohort_id,
    )


# -- funds ----------------------------------------------------------------------------------


async def create_fund(
    uow: UnitOfWork,
    funder_id: uuid.UUID,
    *,
    slug: str,
    budget_pence: int,
    award_cap_pence: int,
    start_window_days: int,
) -> Fund:
    domain.check_fund(budget_pence, award_cap_pence)
    kind = await uow.session.scalar(
        select(CREDENTIALS.c.kind).where(CREDENTIALS.c.partner_id == funder_id)
    )
    if kind != "funder":
        raise InvalidRequest(f"partner {funder_id} is not a registered funder")
    fund = Fund(
        fund_id=uuid.uuid4(),
        funder_partner_id=funder_id,
        slug=slug,
        budget_pence=budget_pence,
        award_cap_pence=award_cap_pence,
        start_window_days=start_window_days,
        committed_pence=0,
        paid_pence=0,
    )
    uow.session.add(fund)
    uow.emit(
        EventEnvelope.wrap(
            FundCreated(
                fund_id=fund.fund_id,
                slug=fund.slug,
                budget_pence=fund.budget_pence,
                award_cap_pence=fund.award_cap_pence,
                start_window_days=fund.start_window_days,
            ),
            producer=SERVICE,
            partner_id=funder_id,
            subject_id=fund.fund_id,
        )
    )
    await uow.commit()
    return fund


# -- applications ---------------------------------------------------------------------------


async def apply(
    uow: UnitOfWork,
    partner_id: uuid.UUID | None,
    *,
    participant_id: uuid.UUID,
    fund_id: uuid.UUID,
    course_type: str,
    requested_pence: dict[CostCategory, int],
) -> BursaryApplication:
    mentee = await uow.session.scalar(
        select(Mentee).where(
            Mentee.participant_id == participant_id,
            Mentee.partner_id == partner_id,
            or_(Mentee.programme_mentee, Mentee.alumna),
        )
    )
    if mentee is None:
        raise NotFound("participant not found")
    fund = await uow.session.get(Fund, fund_id)
    if fund is None:
        raise NotFound("fund not found")
    now = utcnow()
    application = BursaryApplication(
        application_id=uuid.uuid4(),
        fund_id=fund.fund_id,
        partner_id=mentee.partner_id,
        programme_id=mentee.programme_id,
        cohort_id=mentee.cohort_id,
        participant_id=mentee.participant_id,
        course_type=course_type,
        requested_pence={k.value: v for k, v in requested_pence.items()},
        programme_mentee=mentee.programme_mentee or mentee.alumna,
        status=domain.APPLIED,
        interview_guaranteed=False,
        paid_by_category={},
    )
    uow.session.add(application)
    uow.emit(
        _event(
            BursaryApplied(
                bursary_application_id=application.application_id,
                fund_id=fund.fund_id,
                participant_id=mentee.participant_id,
                course_type=course_type,
                requested_pence=requested_pence,
                programme_mentee=application.programme_mentee,
            ),
            application,
        )
    )
    interview = domain.interview_for(
        programme_mentee=mentee.programme_mentee, alumna=mentee.alumna, applied_at=now
    )
    if interview is not None:
        application.status = domain.INTERVIEW_SCHEDULED
        application.interview_at = interview.scheduled_for
        application.interview_guaranteed = interview.guaranteed
        uow.emit(
            _event(
                BursaryInterviewScheduled(
                    bursary_application_id=application.application_id,
                    fund_id=fund.fund_id,
                    scheduled_for=interview.scheduled_for,
                    guaranteed=interview.guaranteed,
                ),
                application,
            )
        )
    await uow.commit()
    return application


async def award(
    uow: UnitOfWork,
    partner_id: uuid.UUID | None,
    application_id: uuid.UUID,
    by_category: dict[CostCategory, int],
    today: date | None = None,
) -> BursaryApplication:
    application, fund = await visible_application(
        uow.session, partner_id, application_id, lock=True
    )
    _funder_only(partner_id, fund)
    awarded_on = today or _today()
    decision = domain.decide_award(
        status=application.status,
        by_category={k.value: v for k, v in by_category.items()},
        award_cap_pence=fund.award_cap_pence,
        fund_remaining_pence=fund.remaining_pence,
        awarded_on=awarded_on,
        start_window_days=fund.start_window_days,
    )
    fund.committed_pence += decision.amount_pence
    application.status = domain.AWARDED
    application.awarded_pence = decision.amount_pence
    application.awarded_by_category = decision.by_category
    application.awarded_on = awarded_on
    application.start_by = decision.start_by
    uow.emit(
        _event(
            BursaryAwarded(
                bursary_application_id=application.application_id,
                fund_id=fund.fund_id,
                participant_id=application.participant_id or ERASED,
                amount_pence=decision.amount_pence,
                by_category=decision.by_category,
                start_by=decision.start_by,
                fund_remaining_pence=fund.remaining_pence,
            ),
            application,
        )
    )
    await uow.commit()
    return application


async def decline(
    uow: UnitOfWork, partner_id: uuid.UUID | None, application_id: uuid.UUID, reason_code: str
) -> BursaryApplication:
    application, fund = await visible_application(
        uow.session, partner_id, application_id, lock=True
    )
    _funder_only(partner_id, fund)
    domain.check_decline(application.status)
    application.status = domain.DECLINED
    application.decline_reason = reason_code
    uow.emit(
        _event(
            BursaryDeclined(
                bursary_application_id=application.application_id,
                fund_id=fund.fund_id,
                reason_code=reason_code,
            ),
            application,
        )
    )
    await uow.commit()
    return application


async def pay(
    uow: UnitOfWork,
    partner_id: uuid.UUID | None,
    application_id: uuid.UUID,
    category: CostCategory,
    amount_pence: int,
) -> tuple[Payment, dict[str, int]]:
    """The payment, and what is now paid per category."""
    application, fund = await visible_application(
        uow.session, partner_id, application_id, lock=True
    )
    _funder_only(partner_id, fund)
    paid = dict(application.paid_by_category or {})
    domain.check_payment(
        status=application.status,
        category=category.value,
        amount_pence=amount_pence,
        awarded_by_category=application.awarded_by_category or {},
        paid_by_category=paid,
    )
    payment = Payment(
        payment_id=uuid.uuid4(),
        application_id=application.application_id,
        category=category.value,
        amount_pence=amount_pence,
    )
    uow.session.add(payment)
    paid[category.value] = paid.get(category.value, 0) + amount_pence
    application.paid_by_category = paid
    fund.paid_pence += amount_pence
    uow.emit(
        _event(
            BursaryPaid(
                bursary_application_id=application.application_id,
                fund_id=fund.fund_id,
                payment_id=payment.payment_id,
                category=category,
                amount_pence=amount_pence,
            ),
            application,
        )
    )
    await uow.commit()
    return payment, paid


async def mark_course_started(
    uow: UnitOfWork,
    partner_id: uuid.UUID | None,
    application_id: uuid.UUID,
    started_on: date | None,
    today: date | None = None,
) -> BursaryApplication:
    today = today or _today()
    started_on = started_on or today
    if started_on > today:
        raise InvalidRequest(f"started_on {started_on} is in the future")
    application, _ = await visible_application(uow.session, partner_id, application_id, lock=True)
    domain.check_course_start(
        status=application.status,
        course_started_on=application.course_started_on,
        started_on=started_on,
        start_by=application.start_by,
    )
    application.course_started_on = started_on
    await uow.commit()
    return application
