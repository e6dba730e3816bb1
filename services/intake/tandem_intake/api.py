"""Intake's HTTP API: partners (operator), programmes and cohorts, applications and referrals.

Routes are thin: use cases live in commands.py, rules in domain.py, encryption in
personal_data.py. Every command is one unit of work (state change + outbox event + audit row
commit together). Every query is scoped to the caller's partner; another partner's object
answers 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from tandem_shared.events.vocabulary import IntakeRoute
from tandem_shared.events.vocabulary import Role as ParticipantRole
from tandem_shared.service import Coordinator, CurrentPrincipal, Operator, Principal, UoW
from tandem_shared.service import Role as PrincipalRole

from . import commands
from .commands import summary
from .domain import ApplicationStatus
from .models import Cohort, Programme
from .models import Partner as PartnerRow
from .personal_data import Vault
from .schemas import (
    AcceptIn,
    ApplicationDetail,
    ApplicationPage,
    ApplicationSummary,
    CandidateIn,
    CohortIn,
    CohortOut,
    DeclineIn,
    ErasureOut,
    PartnerCreated,
    PartnerIn,
    PartnerOut,
    ProgrammeIn,
    ProgrammeOut,
)

MAX_PAGE = 100


# -- dependencies ------------------------------------------------------------------------
def require_operator_or_coordinator(principal: CurrentPrincipal) -> Principal:
    if principal.role not in (PrincipalRole.OPERATOR, PrincipalRole.COORDINATOR):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="an operator's or a coordinator's key is required"
        )
    return principal


def get_vault(request: Request) -> Vault:
    return request.app.state.vault


Staff = Annotated[Principal, Depends(require_operator_or_coordinator)]
VaultDep = Annotated[Vault, Depends(get_vault)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0)]


# ======================================================================== partners ===
partners = APIRouter(prefix="/partners", tags=["partners"])


def partner_out(p: PartnerRow) -> dict[str, Any]:
    return {
        "partner_id": p.id,
        "slug": p.slug,
        "name": p.name,
        "kind": p.kind,
        "created_at": p.created_at,
    }


@partners.post("", status_code=status.HTTP_201_CREATED, response_model=PartnerCreated)
async def register_partner(body: PartnerIn, _: Operator, uow: UoW) -> dict[str, Any]:
    """Register a partner charity or funder; its API key is in this response only."""
    partner, api_key = await commands.register_partner(uow, body.slug, body.name, body.kind)
    return {**partner_out(partner), "api_key": api_key}


@partners.get("", response_model=list[PartnerOut])
async def list_partners(
    _: Operator, uow: UoW, limit: Limit = 100, offset: Offset = 0
) -> list[dict[str, Any]]:
    return [partner_out(p) for p in await commands.list_partners(uow, limit, offset)]


# ====================================================================== programmes ===
programmes = APIRouter(tags=["programmes"])


def programme_out(p: Programme) -> dict[str, Any]:
    return {
        "programme_id": p.id,
        **{c: getattr(p, c) for c in ProgrammeOut.model_fields if c != "programme_id"},
    }


def cohort_out(c: Cohort) -> dict[str, Any]:
    return {
        "cohort_id": c.id,
        **{k: getattr(c, k) for k in CohortOut.model_fields if k != "cohort_id"},
    }


@programmes.post("/programmes", status_code=status.HTTP_201_CREATED, response_model=ProgrammeOut)
async def create_programme(body: ProgrammeIn, principal: Staff, uow: UoW) -> dict[str, Any]:
    return programme_out(await commands.create_programme(uow, principal, body))


@programmes.get("/programmes", response_model=list[ProgrammeOut])
async def list_programmes(
    principal: Staff,
    uow: UoW,
    partner_id: uuid.UUID | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    rows = await commands.list_programmes(uow, principal, partner_id, limit, offset)
    return [programme_out(p) for p in rows]


@programmes.get("/programmes/{programme_id}", response_model=ProgrammeOut)
async def read_programme(programme_id: uuid.UUID, principal: Staff, uow: UoW) -> dict[str, Any]:
    return programme_out(await commands.get_programme(uow, principal, programme_id))


@programmes.post("/cohorts", status_code=status.HTTP_201_CREATED, response_model=CohortOut)
async def open_cohort(body: CohortIn, principal: Staff, uow: UoW) -> dict[str, Any]:
    return cohort_out(await commands.open_cohort(uow, principal, body))


@programmes.get("/cohorts", response_model=list[CohortOut])
async def list_cohorts(
    principal: Staff,
    uow: UoW,
    programme_id: uuid.UUID | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    rows = await commands.list_cohorts(uow, principal, programme_id, limit, offset)
    return [cohort_out(c) for c in rows]


@programmes.get("/cohorts/{cohort_id}", response_model=CohortOut)
async def read_cohort(cohort_id: uuid.UUID, principal: Staff, uow: UoW) -> dict[str, Any]:
    return cohort_out(await commands.get_cohort(uow, principal, cohort_id))


# ==================================================================== applications ===
applications = APIRouter(tags=["applications"])


@applications.post(
    "/applications", status_code=status.HTTP_201_CREATED, response_model=ApplicationSummary
)
async def submit_application(
    body: CandidateIn, principal: Coordinator, uow: UoW, vault: VaultDep
) -> dict[str, Any]:
    """A mentor applies."""
    application = await commands.submit(
        uow, principal, vault, body, ParticipantRole.MENTOR, IntakeRoute.APPLICATION
    )
    return summary(application)


@applications.post(
    "/referrals", status_code=status.HTTP_201_CREATED, response_model=ApplicationSummary
)
async def submit_referral(
    body: CandidateIn, principal: Coordinator, uow: UoW, vault: VaultDep
) -> dict[str, Any]:
    """A mentee is referred."""
    application = await commands.submit(
        uow, principal, vault, body, ParticipantRole.MENTEE, IntakeRoute.REFERRAL
    )
    return summary(application)


@applications.post("/applications/{application_id}/accept", response_model=ApplicationSummary)
async def accept(
    application_id: uuid.UUID, body: AcceptIn, principal: Coordinator, uow: UoW, vault: VaultDep
) -> dict[str, Any]:
    return summary(await commands.accept(uow, principal, vault, application_id, body.checks_passed))


@applications.post("/applications/{application_id}/waitlist", response_model=ApplicationSummary)
async def waitlist(application_id: uuid.UUID, principal: Coordinator, uow: UoW) -> dict[str, Any]:
    return summary(await commands.waitlist(uow, principal, application_id))


@applications.post("/applications/{application_id}/decline", response_model=ApplicationSummary)
async def decline(
    application_id: uuid.UUID, body: DeclineIn, principal: Coordinator, uow: UoW
) -> dict[str, Any]:
    return summary(await commands.decline(uow, principal, application_id, body.reason_code))


@applications.post("/applications/{application_id}/withdraw", response_model=ApplicationSummary)
async def withdraw(application_id: uuid.UUID, principal: Coordinator, uow: UoW) -> dict[str, Any]:
    return summary(await commands.withdraw(uow, principal, application_id))


@applications.get("/applications", response_model=ApplicationPage)
async def list_applications(
    principal: Coordinator,
    uow: UoW,
    vault: VaultDep,
    cohort_id: uuid.UUID | None = None,
    status_: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    role: ParticipantRole | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """One page of applications, with names but without contact or special-category data."""
    items, total = await commands.list_applications(
        uow,
        principal,
        vault,
        cohort_id=cohort_id,
        status=status_,
        role=role,
        limit=limit,
        offset=offset,
    )
    return {"items": items, "limit": limit, "offset": offset, "total": total}


@applications.get("/applications/{application_id}", response_model=ApplicationDetail)
async def read_application(
    application_id: uuid.UUID, principal: Coordinator, uow: UoW, vault: VaultDep
) -> dict[str, Any]:
    """The full application, personal data decrypted. Every read is audited."""
    return await commands.read_application(uow, principal, vault, application_id)


@applications.delete("/participants/{participant_id}", response_model=ErasureOut)
async def erase_participant(
    participant_id: uuid.UUID, principal: Coordinator, uow: UoW
) -> dict[str, Any]:
    """Right to erasure: destroy her data key (crypto-shredding) and blank her data."""
    return await commands.erase_participant(uow, principal, participant_id)


ROUTERS = (partners, programmes, applications)
