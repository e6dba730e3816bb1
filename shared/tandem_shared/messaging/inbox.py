"""Inbox: `(consumer, event_id)` recorded in the same transaction as the handler's effect.

A redelivered event finds its row already there and is skipped, so effects happen once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.base import utcnow


async def claim(
    session: AsyncSession, inbox: Table, consumer: str, events: Iterable[tuple[uuid.UUID, str]]
) -> set[uuid.UUID]:
    """Insert inbox rows for `(event_id, topic)` pairs; return the ids that were new."""
    now = utcnow()
    rows = {
        event_id: {"consumer": consumer, "event_id": event_id, "topic": topic, "handled_at": now}
        for event_id, topic in events
    }
    if not rows:
        return set()
    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(inbox)
        .values(list(rows.values()))
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(inbox.c.event_id)
    )
    return set((await session.execute(stmt)).scalars().all())
