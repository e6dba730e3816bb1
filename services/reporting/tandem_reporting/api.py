"""Report endpoints (partner key: its own figures only) and the operator's rebuild."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, status

from tandem_shared.service import Kit, Operator, Partner

from . import queries
from .rebuild import rebuild

router = APIRouter(tags=["reports"])


@router.get(
    "/reports/partner",
    summary="The calling partner's figures, per programme and cohort (exact numbers)",
)
async def partner_report(principal: Partner, kit: Kit) -> dict[str, Any]:
    async with kit.sessions() as session:
        return await queries.partner_report(session, principal.partner_id)


@router.get(
    "/reports/partner/export",
    summary="The same figures for use outside the partner: counts under 5 suppressed",
)
async def partner_export(principal: Partner, kit: Kit) -> dict[str, Any]:
    async with kit.sessions() as session:
        return await queries.partner_report(session, principal.partner_id, suppress=True)


@router.get("/reports/cohorts/{cohort_id}", summary="One of the partner's cohorts")
async def cohort_report(cohort_id: uuid.UUID, principal: Partner, kit: Kit):
    async with kit.sessions() as session:
        report = await queries.cohort_report(session, principal.partner_id, cohort_id)
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="not found")
    return report


@router.post(
    "/admin/rebuild",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["operations"],
    summary="Empty the read model and rebuild it by replaying every topic (operator key)",
)
async def admin_rebuild(_: Operator, kit: Kit) -> dict[str, Any]:
    return await rebuild(kit)  # RebuildUnavailable answers 409
