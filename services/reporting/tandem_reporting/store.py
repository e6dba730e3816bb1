"""Read-model writes (Core statements, in the handler's unit of work)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_shared.events import EventEnvelope

from .models import NIL, Counter, MatchState

MATCHES: Table = MatchState.__table__

Key = tuple[uuid.UUID, uuid.UUID, uuid.UUID]  # partner, programme (or NIL), cohort (or NIL)
COUNTERS: Table = Counter.__table__


def _insert(session: AsyncSession):
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


def key_of(env: EventEnvelope) -> Key:
    return (env.partner_id, env.programme_id or NIL, env.cohort_id or NIL)


async def bump(session: AsyncSession, key: Key, metric: str, dim: str = "", by: int = 1) -> None:
    """counter += by, created at 0 if missing (one upsert)."""
    if not by:
        return
    stmt = _insert(session)(COUNTERS).values(
        partner_id=key[0], programme_id=key[1], cohort_id=key[2], metric=metric, dim=dim, value=by
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["partner_id", "programme_id", "cohort_id", "metric", "dim"],
        set_={"value": COUNTERS.c.value + stmt.excluded.value},
    )
    await session.execute(stmt)


async def get_row(session: AsyncSession, table: Table, **pk: Any):
    where = and_(*(table.c[k] == v for k, v in pk.items()))
    return (await session.execute(select(table).where(where))).first()


async def insert_row(session: AsyncSession, table: Table, **values: Any) -> None:
    await session.execute(table.insert().values(**values))


async def update_row(session: AsyncSession, table: Table, pk: Mapping[str, Any], **values) -> None:
    where = and_(*(table.c[k] == v for k, v in pk.items()))
    await session.execute(update(table).where(where).values(**values))


async def upsert_row(
    session: AsyncSession, table: Table, pk: Mapping[str, Any], **values: Any
) -> None:
    stmt = _insert(session)(table).values(**pk, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=list(pk), set_=values))


async def _resolve(session: AsyncSession, env: EventEnvelope, match_id: uuid.UUID):
    """(key, provisional) for a relationship event: its envelope's key when it has one,
    else the key the match was made under, else a provisional partner-only key."""
    if env.programme_id is not None or env.cohort_id is not None:
        return key_of(env), False
    row = await get_row(session, MATCHES, match_id=match_id)
    if row is None:
        key = key_of(env)
        await insert_row(
            session,
            MATCHES,
            match_id=match_id,
            partner_id=key[0],
            programme_id=key[1],
            cohort_id=key[2],
            made=False,
            provisional=True,
            pending={},
        )
        return key, True
    return (row.partner_id, row.programme_id, row.cohort_id), bool(row.provisional)


async def match_bump(
    session: AsyncSession,
    env: EventEnvelope,
    match_id: uuid.UUID,
    metric: str,
    dim: str = "",
    by: int = 1,
) -> None:
    """Count a relationship event under its match's key (see MatchState)."""
    if not by:
        return
    key, provisional = await _resolve(session, env, match_id)
    await bump(session, key, metric, dim, by)
    if provisional:
        row = await get_row(session, MATCHES, match_id=match_id)
        pending = dict(row.pending or {})
        slot = f"{metric}|{dim}"
        pending[slot] = pending.get(slot, 0) + by
        await update_row(session, MATCHES, {"match_id": match_id}, pending=pending)


async def settle_match(session: AsyncSession, match_id: uuid.UUID, key: Key, **values) -> bool:
    """match.made: fix the match's key, moving any provisional counts to it. False if the
    match had already been made."""
    row = await get_row(session, MATCHES, match_id=match_id)
    if row is not None and row.made:
        return False
    fixed = dict(
        partner_id=key[0],
        programme_id=key[1],
        cohort_id=key[2],
        made=True,
        provisional=False,
        pending={},
        **values,
    )
    if row is None:
        await insert_row(session, MATCHES, match_id=match_id, **fixed)
        return True
    old = (row.partner_id, row.programme_id, row.cohort_id)
    if row.provisional and old != key:
        for slot, by in sorted((row.pending or {}).items()):
            metric, _, dim = slot.partition("|")
            await bump(session, old, metric, dim, -by)
            await bump(session, key, metric, dim, by)
    await update_row(session, MATCHES, {"match_id": match_id}, **fixed)
    return True
