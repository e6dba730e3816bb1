"""Coordinator endpoints. The partner key decides the tenant; another partner's cohort,
proposal or match answers 404 (commands.NotFound); a broken rule answers 409
(domain.RuleViolation). Both are DomainErrors, answered by the kit's app."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from tandem_shared.events.vocabulary import Code
from tandem_shared.service import Kit, Partner

from . import commands

router = APIRouter(tags=["matching"])


class RunRequest(BaseModel):
    mode: Literal["max_total", "fairness"] = Field(
        default="max_total",
        description="max_total: most matches, then highest total score; fairness: most "
        "matches, then the highest lowest score.",
    )


class DecisionRequest(BaseModel):
    reason_code: Code = Field(description="A lower-case code, e.g. schedule_clash; no free text.")


class FactorOut(BaseModel):
    factor: str
    value: float
    weight: float
    contribution: float


class ProposalOut(BaseModel):
    id: uuid.UUID
    match_id: uuid.UUID
    run_id: uuid.UUID
    programme_id: uuid.UUID | None
    cohort_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    score: float
    factors: list[FactorOut]
    explanation: dict[str, Any]
    status: str
    reason_code: str | None
    closure: str | None
    created_at: datetime
    decided_at: datetime | None


class UnmatchedOut(BaseModel):
    mentee_id: uuid.UUID
    reason: str
    explanation: str
    block_mentors: int
    eliminated_by: dict[str, int]
    feasible_count: int
    feasible_mentor_ids: list[uuid.UUID]
    holders: dict[str, list[uuid.UUID]]


class RunOut(BaseModel):
    id: uuid.UUID
    cohort_id: uuid.UUID
    programme_id: uuid.UUID | None
    mode: str
    created_at: datetime
    mentees_considered: int
    mentors_considered: int
    total_score: float
    min_score: float | None
    proposals: list[ProposalOut]
    unmatched: list[UnmatchedOut]


@router.post(
    "/cohorts/{cohort_id}/matching-runs",
    status_code=status.HTTP_201_CREATED,
    response_model=RunOut,
    summary="Run the matcher on the cohort's pool and store its proposals",
)
async def create_run(
    cohort_id: uuid.UUID, principal: Partner, kit: Kit, body: RunRequest | None = None
) -> dict[str, Any]:
    body = body or RunRequest()
    async with kit.unit_of_work() as uow:
        return await commands.run_matching(uow, principal.partner_id, cohort_id, body.mode)


@router.get(
    "/cohorts/{cohort_id}/pool",
    summary="The cohort's pool: who is waiting, and which mentors are trained and checked",
)
async def cohort_pool(cohort_id: uuid.UUID, principal: Partner, kit: Kit) -> dict[str, Any]:
    async with kit.unit_of_work() as uow:
        return await commands.pool_summary(uow, principal.partner_id, cohort_id)


@router.get(
    "/cohorts/{cohort_id}/proposals",
    response_model=list[ProposalOut],
    summary="Proposals of a cohort, newest first",
)
async def cohort_proposals(
    cohort_id: uuid.UUID,
    principal: Partner,
    kit: Kit,
    status_: Annotated[
        Literal["proposed", "superseded", "withdrawn", "confirmed", "rejected", "ended", "closed"]
        | None,
        Query(alias="status"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    async with kit.unit_of_work() as uow:
        rows = await commands.list_proposals(
            uow, principal.partner_id, cohort_id, status_, limit, offset
        )
        return [commands.proposal_view(p) for p in rows]


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, summary="One proposal")
async def get_proposal(proposal_id: uuid.UUID, principal: Partner, kit: Kit) -> dict[str, Any]:
    async with kit.unit_of_work() as uow:
        return commands.proposal_view(
            await commands.get_proposal(uow, principal.partner_id, proposal_id)
        )


@router.post(
    "/proposals/{proposal_id}/confirm",
    response_model=ProposalOut,
    summary="Confirm a proposal: the match is made (match.made)",
)
async def confirm(proposal_id: uuid.UUID, principal: Partner, kit: Kit) -> dict[str, Any]:
    async with kit.unit_of_work() as uow:
        return commands.proposal_view(
            await commands.confirm(uow, principal.partner_id, proposal_id)
        )


@router.post(
    "/proposals/{proposal_id}/reject",
    response_model=ProposalOut,
    summary="Reject a proposal (match.rejected); the pair is never proposed again",
)
async def reject(
    proposal_id: uuid.UUID, body: DecisionRequest, principal: Partner, kit: Kit
) -> dict[str, Any]:
    async with kit.unit_of_work() as uow:
        return commands.proposal_view(
            await commands.reject(uow, principal.partner_id, proposal_id, body.reason_code)
        )


@router.post(
    "/matches/{match_id}/end",
    response_model=ProposalOut,
    summary="End a confirmed match (match.ended); frees the mentor's capacity",
)
async def end_match(
    match_id: uuid.UUID, body: DecisionRequest, principal: Partner, kit: Kit
) -> dict[str, Any]:
    async with kit.unit_of_work() as uow:
        return commands.proposal_view(
            await commands.end_match(uow, principal.partner_id, match_id, body.reason_code)
        )
