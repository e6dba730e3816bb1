"""Inbox: `(consumer, event_id)` recorded in the same transaction as the handler's effect.

A redelivered event finds its row already there and is skipped, so effects happen once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Table, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.base import utcnow

# One statement whatever the batch size: arrays instead of thousands of bind parameters,
# so neither SQLAlchemy nor the driver re-parses SQL per batch.
_CLAIM_POSTGRES = text(
    "INSERT INTO inbox (consumer, event_id, topic, handled_at) "
    "SELECT :consumer, e.event_id, e.topic, :now "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:topics AS varchar[])) AS e(event_id, topic) "
    "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
)


async def claim(
    session: AsyncSession, inbox: Table, consumer: str, events: Iterable[tuple[uuid.UUID, str]]
) -> set[uuid.UUID]:
    """Insert inbox rows for `(event_id, topic)` pairs; return the ids that were new."""
    topics = dict(events)
    if not topics:
        return set()
    now = utcnow()
    if session.bind.dialect.name == "postgresql":
        result = await session.execute(
            _CLAIM_POSTGRES,
            {
                "consumer": consumer,
                "now": now,
                "ids": list(topics),
                "topics": list(topics.values()),
            },
        )
        return {uuid.UUID(str(v)) for v in result.scalars()}
    stmt = (
        sqlite.insert(inbox)
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(inbox.c.event_id)
    )
    rows = [
        {"consumer": consumer, "event_id": event_id, "topic": topic, "handled_at": now}
        for event_id, topic in topics.items()
    ]
    result = await session.execute(stmt, rows)
    return set(result.scalars())
