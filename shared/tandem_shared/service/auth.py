"""Who is calling: operator, partner coordinator or funder, from an API key.

The key decides the tenant, never a field in the request. Intake mints partner keys and
publishes only their SHA-256 (`partner.registered`); every service keeps a local
`partner_credentials` table from that event, so no service reads another's database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Boolean, Column, MetaData, String, Table, Uuid, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


class Role(StrEnum):
    OPERATOR = "operator"  # runs the platform: partners, health, metrics; no personal data
    COORDINATOR = "coordinator"  # one partner's staff
    FUNDER = "funder"  # a funder's staff: its funds only


@dataclass(frozen=True)
class Principal:
    role: Role
    partner_id: uuid.UUID | None = None
    partner_slug: str | None = None


def new_api_key(prefix: str = "tdm") -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def credentials_table(metadata: MetaData) -> Table:
    if "partner_credentials" in metadata.tables:
        return metadata.tables["partner_credentials"]
    return Table(
        "partner_credentials",
        metadata,
        Column("partner_id", Uuid, primary_key=True),
        Column("slug", String(64), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("api_key_sha256", String(64), nullable=False, unique=True),
        Column("active", Boolean, nullable=False, default=True),
    )


async def upsert_credentials(
    session: AsyncSession,
    table: Table,
    *,
    partner_id: uuid.UUID,
    slug: str,
    kind: str,
    api_key_sha256: str,
) -> None:
    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"slug": slug, "kind": kind, "api_key_sha256": api_key_sha256, "active": True}
    stmt = insert(table).values(partner_id=partner_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["partner_id"], set_=values))


_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")
_header = APIKeyHeader(name="X-API-Key", auto_error=False)

UNAUTHENTICATED = HTTPException(
    status.HTTP_401_UNAUTHORIZED,
    detail="missing or unknown API key: send 'Authorization: Bearer <key>'",
    headers={"WWW-Authenticate": "Bearer"},
)


async def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
) -> Principal:
    key = bearer.credentials if bearer else header_key
    if not key:
        raise UNAUTHENTICATED
    state = request.app.state
    if hmac.compare_digest(key, state.settings.operator_key):
        return Principal(Role.OPERATOR)
    table: Table = state.credentials_table
    async with state.kit.sessions() as session:
        row = (
            await session.execute(
                select(table).where(table.c.api_key_sha256 == hash_api_key(key), table.c.active)
            )
        ).first()
    if row is None:
        raise UNAUTHENTICATED
    role = Role.FUNDER if row.kind == "funder" else Role.COORDINATOR
    return Principal(role, row.partner_id, row.slug)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_operator(principal: CurrentPrincipal) -> Principal:
    if principal.role is not Role.OPERATOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="operator key required")
    return principal


def require_partner(principal: CurrentPrincipal) -> Principal:
    """A coordinator or funder: every query is then scoped to `principal.partner_id`."""
    if principal.partner_id is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="a partner's key is required (operators see no personal data)",
        )
    return principal


Operator = Annotated[Principal, Depends(require_operator)]
Partner = Annotated[Principal, Depends(require_partner)]
