"""FastAPI dependencies and small HTTP helpers every service's routes share.

Import them from `tandem_shared.service`: Kit, UoW, Coordinator, Body, not_found, conflict,
today. A business-rule refusal is a `tandem_shared.domain_errors.DomainError`, not one of these.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict

from ..db import utcnow
from ..messaging import MessagingKit, UnitOfWork
from .auth import Partner, Principal, Role


def get_kit(request: Request) -> MessagingKit:
    return request.app.state.kit


Kit = Annotated[MessagingKit, Depends(get_kit)]


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """One unit of work per request: state change + outbox rows commit together."""
    async with request.app.state.kit.unit_of_work() as uow:
        yield uow


UoW = Annotated[UnitOfWork, Depends(unit_of_work)]


def require_coordinator(principal: Partner) -> Principal:
    if principal.role is not Role.COORDINATOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="a coordinator's key is required")
    return principal


Coordinator = Annotated[Principal, Depends(require_coordinator)]


def not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{what} not found")


def conflict(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, detail=detail)


def today() -> date:
    return utcnow().date()


class Body(BaseModel):
    """A request body: unknown fields are refused (422), never silently dropped."""

    model_config = ConfigDict(extra="forbid")
