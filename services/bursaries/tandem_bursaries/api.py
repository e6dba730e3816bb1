"""HTTP API of bursaries: thin routes; every query is scoped to the caller.

Funds are visible to every partner (their mentees apply to them); a fund's money figures only
to its funder and operators. An application is visible only to the applicant's partner and
the fund's funder; anyone else gets 404.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from tandem_shared.db import utcnow
from tandem_shared.events import EventEnvelope, EventPayload
from tandem_shared.events.bursaries import (
    BursaryApplied,
    BursaryAwarded,
    BursaryDeclined,
    BursaryInterviewScheduled,
    BursaryPaid,
    FundCreated,
)
from tandem_shared.events.vocabulary import Code, CostCategory
from tandem_shared.service import (
    Body,
    Coordinator,
    CurrentPrincipal,
    Kit,
    Operator,
    Partner,
    Principal,
    not_found,
    today,
)
from tandem_shared.service import Role as PrincipalRole

from . import domain
from .handlers import SERVICE
from .jobs import scan_lapses
from .models import CREDENTIALS, BursaryApplication, Fund, Mentee, Payment

router = APIRouter()

ERASED = uuid.UUID(int=0)  # stands in for an erased participant in events that need an id
MAX_PENCE = 10**12


Pence = Annotated[int, Field(ge=0, le=MAX_PENCE)]
PositivePence = Annotated[int, Field(gt=0, le=MAX_PENCE)]


# -- funds ----------------------------------------------------------------------------------


class FundIn(Body):
    slug: Code
    budget_pence: PositivePence
    award_cap_pence: PositivePence
    start_window_days: int = Field(default=365, ge=1, le=3650)
    funder_partner_id: uuid.UUID | None = Field(
        default=None, description="Required for operators; a funder creates funds for itself."
    )


class FundOut(BaseModel):
    fund_id: uuid.UUID
    funder_partner_id: uuid.UUID
    slug: str
    award_cap_pence: int
    start_window_days: int
    # Only for the fund's funder and operators:
    budget_pence: int | None = None
    committed_pence: int | None = None
    paid_pence: int | None = None
    remaining_pence: int | None = None


def _fund_out(fund: Fund, principal: Principal) -> FundOut:
    out = FundOut(
        fund_id=fund.fund_id,
        funder_partner_id=fund.funder_partner_id,
        slug=fund.slug,
        award_cap_pence=fund.award_cap_pence,
        start_window_days=fund.start_window_days,
    )
    if principal.role is PrincipalRole.OPERATOR or principal.partner_id == fund.funder_partner_id:
        out.budget_pence = fund.budget_pence
        out.committed_pence = fund.committed_pence
        out.paid_pence = fund.paid_pence
        out.remaining_pence = fund.remaining_pence
    return out


@router.post("/funds", status_code=201, tags=["funds"], summary="Create a fund (funder/operator)")
async def create_fund(body: FundIn, principal: CurrentPrincipal, kit: Kit) -> FundOut:
    if principal.role is PrincipalRole.COORDINATOR:
        raise HTTPException(403, detail="only a funder or an operator creates funds")
    if principal.role is PrincipalRole.FUNDER:
        if body.funder_partner_id not in (None, principal.partner_id):
            raise HTTPException(422, detail="a funder creates funds for itself only")
        funder_id = principal.partner_id
    else:
        if body.funder_partner_id is None:
            raise HTTPException(422, detail="funder_partner_id is required")
        funder_id = body.funder_partner_id
    domain.check_fund(body.budget_pence, body.award_cap_pence)
    assert funder_id is not None
    async with kit.unit_of_work() as uow:
        kind = await uow.session.scalar(
            select(CREDENTIALS.c.kind).where(CREDENTIALS.c.partner_id == funder_id)
        )
        if kind != "funder":
            raise HTTPException(422, detail=f"partner {funder_id} is not a registered funder")
        fund = Fund(
            fund_id=uuid.uuid4(),
            funder_partner_id=funder_id,
            slug=body.slug,
            budget_pence=body.budget_pence,
            award_cap_pence=body.award_cap_pence,
            start_window_days=body.start_window_days,
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
    return _fund_out(fund, principal)


@router.get("/funds", tags=["funds"])
async def list_funds(
    principal: CurrentPrincipal,
    kit: Kit,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[FundOut]:
    stmt = select(Fund).order_by(Fund.created_at, Fund.fund_id).limit(limit).offset(offset)
    async with kit.sessions() as session:
        return [_fund_out(f, principal) for f in await session.scalars(stmt)]


@router.get("/funds/{fund_id}", tags=["funds"])
async def get_fund(fund_id: uuid.UUID, principal: CurrentPrincipal, kit: Kit) -> FundOut:
    async with kit.sessions() as session:
        fund = await session.get(Fund, fund_id)
    if fund is None:
        raise not_found("fund")
    return _fund_out(fund, principal)


# -- applications ---------------------------------------------------------------------------


class ApplicationIn(Body):
    participant_id: uuid.UUID
    fund_id: uuid.UUID
    course_type: Code
    requested_pence: dict[CostCategory, Pence] = Field(min_length=1)


class ApplicationOut(BaseModel):
    bursary_application_id: uuid.UUID
    fund_id: uuid.UUID
    participant_id: uuid.UUID | None
    course_type: str
    requested_pence: dict[str, int]
    programme_mentee: bool
    status: str
    interview_at: str | None
    interview_guaranteed: bool
    awarded_pence: int | None
    awarded_by_category: dict[str, int] | None
    awarded_on: date | None
    start_by: date | None
    course_started_on: date | None
    paid_by_category: dict[str, int]
    decline_reason: str | None
    lapsed_on: date | None
    returned_pence: int | None


def _application_out(a: BursaryApplication) -> ApplicationOut:
    return ApplicationOut(
        bursary_application_id=a.application_id,
        fund_id=a.fund_id,
        participant_id=a.participant_id,
        course_type=a.course_type,
        requested_pence=a.requested_pence,
        programme_mentee=a.programme_mentee,
        status=a.status,
        interview_at=a.interview_at.isoformat() if a.interview_at else None,
        interview_guaranteed=a.interview_guaranteed,
        awarded_pence=a.awarded_pence,
        awarded_by_category=a.awarded_by_category,
        awarded_on=a.awarded_on,
        start_by=a.start_by,
        course_started_on=a.course_started_on,
        paid_by_category=a.paid_by_category or {},
        decline_reason=a.decline_reason,
        lapsed_on=a.lapsed_on,
        returned_pence=a.returned_pence,
    )


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


@router.post("/bursary-applications", status_code=201, tags=["applications"])
async def apply(body: ApplicationIn, principal: Coordinator, kit: Kit) -> ApplicationOut:
    async with kit.unit_of_work() as uow:
        mentee = await uow.session.scalar(
            select(Mentee).where(
                Mentee.participant_id == body.participant_id,
                Mentee.partner_id == principal.partner_id,
                or_(Mentee.programme_mentee, Mentee.alumna),
            )
        )
        if mentee is None:
            raise not_found("participant")
        fund = await uow.session.get(Fund, body.fund_id)
        if fund is None:
            raise not_found("fund")
        now = utcnow()
        application = BursaryApplication(
            application_id=uuid.uuid4(),
            fund_id=fund.fund_id,
            partner_id=mentee.partner_id,
            programme_id=mentee.programme_id,
            cohort_id=mentee.cohort_id,
            participant_id=mentee.participant_id,
            course_type=body.course_type,
            requested_pence={k.value: v for k, v in body.requested_pence.items()},
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
                    course_type=body.course_type,
                    requested_pence=body.requested_pence,
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
    return _application_out(application)


@router.get("/bursary-applications", tags=["applications"])
async def list_applications(
    principal: Partner,
    kit: Kit,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ApplicationOut]:
    stmt = select(BursaryApplication).join(Fund)
    if principal.role is PrincipalRole.FUNDER:
        stmt = stmt.where(Fund.funder_partner_id == principal.partner_id)
    else:
        stmt = stmt.where(BursaryApplication.partner_id == principal.partner_id)
    stmt = stmt.order_by(BursaryApplication.created_at, BursaryApplication.application_id)
    async with kit.sessions() as session:
        rows = await session.scalars(stmt.limit(limit).offset(offset))
        return [_application_out(a) for a in rows]


async def _visible(
    session, principal: Principal, application_id: uuid.UUID, *, lock: bool
) -> tuple[BursaryApplication, Fund]:
    """The application and its fund, if the caller may see them; locked (application, then
    fund: the same order everywhere) when `lock`."""
    stmt = select(BursaryApplication).where(BursaryApplication.application_id == application_id)
    application = await session.scalar(stmt.with_for_update() if lock else stmt)
    if application is None:
        raise not_found("bursary application")
    fund_stmt = select(Fund).where(Fund.fund_id == application.fund_id)
    fund = await session.scalar(fund_stmt.with_for_update() if lock else fund_stmt)
    if principal.partner_id not in (application.partner_id, fund.funder_partner_id):
        raise not_found("bursary application")
    return application, fund


def _funder_only(principal: Principal, fund: Fund) -> None:
    if principal.partner_id != fund.funder_partner_id:
        raise HTTPException(403, detail="only the fund's funder decides and pays")


@router.get("/bursary-applications/{application_id}", tags=["applications"])
async def get_application(
    application_id: uuid.UUID, principal: Partner, kit: Kit
) -> ApplicationOut:
    async with kit.sessions() as session:
        application, _ = await _visible(session, principal, application_id, lock=False)
        return _application_out(application)


class AwardIn(Body):
    by_category: dict[CostCategory, Pence] = Field(min_length=1)


@router.post("/bursary-applications/{application_id}/award", tags=["applications"])
async def award(
    application_id: uuid.UUID, body: AwardIn, principal: Partner, kit: Kit
) -> ApplicationOut:
    async with kit.unit_of_work() as uow:
        application, fund = await _visible(uow.session, principal, application_id, lock=True)
        _funder_only(principal, fund)
        awarded_on = today()
        decision = domain.decide_award(
            status=application.status,
            by_category={k.value: v for k, v in body.by_category.items()},
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
    return _application_out(application)


class DeclineIn(Body):
    reason_code: Code


@router.post("/bursary-applications/{application_id}/decline", tags=["applications"])
async def decline(
    application_id: uuid.UUID, body: DeclineIn, principal: Partner, kit: Kit
) -> ApplicationOut:
    async with kit.unit_of_work() as uow:
        application, fund = await _visible(uow.session, principal, application_id, lock=True)
        _funder_only(principal, fund)
        domain.check_decline(application.status)
        application.status = domain.DECLINED
        application.decline_reason = body.reason_code
        uow.emit(
            _event(
                BursaryDeclined(
                    bursary_application_id=application.application_id,
                    fund_id=fund.fund_id,
                    reason_code=body.reason_code,
                ),
                application,
            )
        )
        await uow.commit()
    return _application_out(application)


class PaymentIn(Body):
    category: CostCategory
    amount_pence: PositivePence


class PaymentOut(BaseModel):
    payment_id: uuid.UUID
    bursary_application_id: uuid.UUID
    category: CostCategory
    amount_pence: int
    paid_by_category: dict[str, int]


@router.post(
    "/bursary-applications/{application_id}/payments", status_code=201, tags=["applications"]
)
async def pay(
    application_id: uuid.UUID, body: PaymentIn, principal: Partner, kit: Kit
) -> PaymentOut:
    async with kit.unit_of_work() as uow:
        application, fund = await _visible(uow.session, principal, application_id, lock=True)
        _funder_only(principal, fund)
        paid = dict(application.paid_by_category or {})
        domain.check_payment(
            status=application.status,
            category=body.category.value,
            amount_pence=body.amount_pence,
            awarded_by_category=application.awarded_by_category or {},
            paid_by_category=paid,
        )
        payment = Payment(
            payment_id=uuid.uuid4(),
            application_id=application.application_id,
            category=body.category.value,
            amount_pence=body.amount_pence,
        )
        uow.session.add(payment)
        paid[body.category.value] = paid.get(body.category.value, 0) + body.amount_pence
        application.paid_by_category = paid
        fund.paid_pence += body.amount_pence
        uow.emit(
            _event(
                BursaryPaid(
                    bursary_application_id=application.application_id,
                    fund_id=fund.fund_id,
                    payment_id=payment.payment_id,
                    category=body.category,
                    amount_pence=body.amount_pence,
                ),
                application,
            )
        )
        await uow.commit()
    return PaymentOut(
        payment_id=payment.payment_id,
        bursary_application_id=application.application_id,
        category=body.category,
        amount_pence=body.amount_pence,
        paid_by_category=paid,
    )


class CourseStartedIn(Body):
    started_on: date | None = None


@router.post("/bursary-applications/{application_id}/course-started", tags=["applications"])
async def course_started(
    application_id: uuid.UUID, body: CourseStartedIn, principal: Partner, kit: Kit
) -> ApplicationOut:
    started_on = body.started_on or today()
    if started_on > today():
        raise HTTPException(422, detail=f"started_on {started_on} is in the future")
    async with kit.unit_of_work() as uow:
        application, _ = await _visible(uow.session, principal, application_id, lock=True)
        domain.check_course_start(
            status=application.status,
            course_started_on=application.course_started_on,
            started_on=started_on,
            start_by=application.start_by,
        )
        application.course_started_on = started_on
        await uow.commit()
    return _application_out(application)


# -- operations -----------------------------------------------------------------------------


class LapseScanOut(BaseModel):
    as_of: date
    lapsed: int


@router.post("/lapses/scan", tags=["operations"], summary="Lapse awards not started in time")
async def lapse_scan(
    _: Operator, kit: Kit, as_of: Annotated[date | None, Query()] = None
) -> LapseScanOut:
    day = as_of or today()
    return LapseScanOut(as_of=day, lapsed=len(await scan_lapses(kit, day)))
