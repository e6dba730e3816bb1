"""Report endpoints (partner key: its own figures only) and the operator's rebuild."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status

from tandem_shared.service import Operator, Partner

from . import queries
from .rebuild import RebuildUnavailable, rebuild

router = APIRouter(tags=["reports"])


@router.get(
    "/reports/partner",
    summary="The calling partner's figures, per programme and cohort (exact numbers)",
)
async def partner_report(principal: Partner, request: Request) -> dict[str, Any]:
    async with request.app.state.kit.sessions() as session:
        return await queries.partner_report(session, principal.partner_id)


@router.get(
    "/reports/partner/export",
    summary="The same figures for use outside the partner: counts under 5 suppressed",
)
async def partner_export(principal: Partner, request: Request) -> dict[str, Any]:
    async with request.app.state.kit.sessions() as session:
        return await queries.partner_report(session, principal.partner_id, suppress=True)


@router.get("/reports/cohorts/{cohort_id}", summary="One of the partner's cohorts")
async def cohort_report(cohort_id: uuid.UUID, principal: Partner, request: Request):
    async with request.app.state.kit.sessions() as session:
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
async def admin_rebuild(_: Operator, request: Request) -> dict[str, Any]:
    try:
        return await rebuild(request.app.state.kit)
    except RebuildUnavailable as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
