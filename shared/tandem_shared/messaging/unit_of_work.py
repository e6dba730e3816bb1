"""Unit of work: one database transaction for a state change and the events it emits.

async with kit.unit_of_work() as uow:
    uow.session.add(application)
    uow.emit(envelope)          # an outbox row, in the same transaction
    await uow.commit()          # explicit, as in cosmicpython; leaving without it rolls back
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..db.base import utcnow
from ..events.catalogue import payload_model
from ..events.envelope import EventEnvelope
from .tables import MessagingTables


def outbox_row(envelope: EventEnvelope, topic: str) -> dict:
    return {
        "event_id": envelope.event_id,
        "event_type": envelope.event_type,
        "topic": topic,
        "key": envelope.subject_id,
        "value": envelope.to_bytes(),
        "headers": envelope.to_cloudevents_headers(),
        "created_at": utcnow(),
        "attempts": 0,
    }


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self._on_commit = on_commit
        self._pending: list[dict] = []
        self._emitted = False
        self.session: AsyncSession

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.rollback()
        await self.session.close()

    @property
    def inbox_table(self):
        return self._tables.inbox

    def emit(self, envelope: EventEnvelope, topic: str | None = None) -> None:
        """Queue an event; it is written to the outbox when the transaction commits."""
        self._emitted = True
        self._pending.append(
            outbox_row(envelope, topic or payload_model(envelope.event_type).topic)
        )

    async def flush_events(self) -> None:
        if self._pending:
            await self.session.execute(insert(self._tables.outbox), self._pending)
            self._pending = []

    async def commit(self) -> None:
        await self.flush_events()
        await self.session.commit()
        if self._emitted:
            self._emitted = False
            self._on_commit()  # wake the relay: lower latency than its idle poll

    async def rollback(self) -> None:
        self._pending = []
        self._emitted = False
        await self.session.rollback()
