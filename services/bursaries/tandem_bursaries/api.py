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

from . import commands
from .jobs import scan_lapses
from .models import BursaryApplication, Fund

router = APIRouter()

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
    assert funder_id is not None
    async with kit.unit_of_work() as uow:
        fund = await commands.create_fund(
            uow,
            funder_id,
            slug=body.slug,
            budget_pence=body.budget_pence,
            award_cap_pence=body.award_cap_pence,
            start_window_days=body.start_window_days,
        )
    return _fund_out(fund, principal)


@router.get("/funds", tags=["funds"])
async def list_funds(
    principal: CurrentPrincipal,
    kit: Kit,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[FundOut]:
    async with kit.sessions() as session:
        funds = await commands.list_funds(session, limit, offset)
        return [_fund_out(f, principal) for f in funds]


@router.get("/funds/{fund_id}", tags=["funds"])
async def get_fund(fund_id: uuid.UUID, principal: CurrentPrincipal, kit: Kit) -> FundOut:
    async with kit.sessions() as session:
        fund = await commands.get_fund(session, fund_id)
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


@router.post("/bursary-applications", status_code=201, tags=["applications"])
async def apply(body: ApplicationIn, principal: Coordinator, kit: Kit) -> ApplicationOut:
    async with kit.unit_of_work() as uow:
        application = await commands.apply(
            uow,
            principal.partner_id,
            participant_id=body.participant_id,
            fund_id=body.fund_id,
            course_type=body.course_type,
            requested_pence=body.requested_pence,
        )
    return _application_out(application)


@router.get("/bursary-applications", tags=["applications"])
async def list_applications(
    principal: Partner,
    kit: Kit,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ApplicationOut]:
    async with kit.sessions() as session:
        rows = await commands.list_applications(
            session,
            principal.partner_id,
            as_funder=principal.role is PrincipalRole.FUNDER,
            limit=limit,
            offset=offset,
        )
        return [_application_out(a) for a in rows]


@router.get("/bursary-applications/{application_id}", tags=["applications"])
async def get_application(
    application_id: uuid.UUID, principal: Partner, kit: Kit
) -> ApplicationOut:
    async with kit.sessions() as session:
        application, _ = await commands.visible_application(
            session, principal.partner_id, application_id, lock=False
        )
        return _application_out(application)


class AwardIn(Body):
    by_category: dict[CostCategory, Pence] = Field(min_length=1)


@router.post("/bursary-applications/{application_id}/award", tags=["applications"])
async def award(
    application_id: uuid.UUID, body: AwardIn, principal: Partner, kit: Kit
) -> ApplicationOut:
    async with kit.unit_of_work() as uow:
        application = await commands.award(
            uow, principal.partner_id, application_id, body.by_category
        )
    return _application_out(application)


class DeclineIn(Body):
    reason_code: Code


@router.post("/bursary-applications/{application_id}/decline", tags=["applications"])
async def decline(
    application_id: uuid.UUID, body: DeclineIn, principal: Partner, kit: Kit
) -> ApplicationOut:
    async with kit.unit_of_work() as uow:
        application = await commands.decline(
            uow, principal.partner_id, application_id, body.reason_code
        )
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
        payment, paid = await commands.pay(
            uow, principal.partner_id, application_id, body.category, body.amount_pence
        )
    return PaymentOut(
        payment_id=payment.payment_id,
        bursary_application_id=payment.application_id,
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
    async with kit.unit_of_work() as uow:
        application = await commands.mark_course_started(
            uow, principal.partner_id, application_id, body.started_on
        )
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
