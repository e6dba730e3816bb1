"""Outbox relay: publishes committed outbox rows to Kafka, in order, at least once.

- Batches of rows in id order, each batch under a row lock (PostgreSQL `FOR UPDATE`), so two
  replicas of a service never interleave batches and per-key order holds.
- Every record is sent with `acks=all`; the batch is marked sent only after Kafka confirms.
- While the broker is down the rows wait; the relay retries with capped exponential backoff.
- Sent rows are deleted after a retention period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ..db.base import utcnow
from .metrics import (
    OUTBOX_OLDEST_PENDING,
    OUTBOX_PENDING,
    OUTBOX_PUBLISH_FAILURES,
    OUTBOX_PUBLISHED,
)
from .tables import MessagingTables

log = logging.getLogger(__name__)

# send_many([(topic, key, value, headers), ...]) -> futures that resolve when Kafka acknowledged.
SendManyFn = Callable[
    [Sequence[tuple[str, bytes, bytes, dict[str, str]]]], Awaitable[list["asyncio.Future[Any]"]]
]


def next_backoff(current: float, maximum: float) -> float:
    return min(maximum, max(0.1, current * 2))


class OutboxRelay:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        tables: MessagingTables,
        send_many: SendManyFn,
        service: str,
        batch_size: int = 500,
        idle_poll_s: float = 0.2,
        max_backoff_s: float = 5.0,
        sent_retention: timedelta = timedelta(days=7),
    ) -> None:
        self._engine = engine
        self._outbox = tables.outbox
        self._send_many = send_many
        self._service = service
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._max_backoff_s = max_backoff_s
        self._sent_retention = sent_retention
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._for_update = engine.dialect.name == "postgresql"

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run_forever(), name=f"outbox-relay-{self._service}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def run_forever(self) -> None:
        backoff = 0.0
        last_housekeeping = 0.0
        while True:
            try:
                published = await self.publish_batch()
                backoff = 0.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker down, timeout, DB hiccup: the rows wait
                OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
                backoff = next_backoff(backoff, self._max_backoff_s)
                log.warning("outbox relay: publish failed (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                continue
            if time.monotonic() - last_housekeeping > 5:
                last_housekeeping = time.monotonic()
                await self._housekeeping()
            if published < self._batch_size:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._idle_poll_s)

    async def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows were sent.

        One statement claims and marks the batch (`UPDATE … RETURNING` over a locked,
        id-ordered subquery); the mark only commits after Kafka acknowledged every record,
        and rolls back if any send failed.
        """
        o = self._outbox
        batch = select(o.c.id).where(o.c.sent_at.is_(None)).order_by(o.c.id).limit(self._batch_size)
        if self._for_update:
            batch = batch.with_for_update()
        claim = (
            update(o)
            .where(o.c.id.in_(batch.scalar_subquery()))
            .values(sent_at=utcnow())
            .returning(o.c.id, o.c.topic, o.c.key, o.c.value, o.c.headers)
        )
        async with self._engine.begin() as conn:
            rows = sorted((await conn.execute(claim)).all(), key=lambda r: r.id)
            if not rows:
                return 0
            try:
                await self._publish(rows)
            except Exception as exc:
                await conn.rollback()
                await self._record_failure(rows[0].id, exc)
                raise
        for topic in {r.topic for r in rows}:
            OUTBOX_PUBLISHED.labels(self._service, topic).inc(
                sum(1 for r in rows if r.topic == topic)
            )
        return len(rows)

    async def _publish(self, rows: Sequence[Any]) -> None:
        # Send everything first, then await: one round of broker acknowledgements per batch.
        futures = await self._send_many(
            [(r.topic, r.key.encode(), r.value, r.headers) for r in rows]
        )
        # Wait for every send to settle before reporting failure, so no stray copy of this
        # batch is still in flight when the relay rolls back and sends it again.
        results = await asyncio.gather(*futures, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _record_failure(self, first_id: int, exc: Exception) -> None:
        """Note the error on the batch's first row: the one an operator looks at."""
        o = self._outbox
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(o)
                    .where(o.c.id == first_id)
                    .values(attempts=o.c.attempts + 1, last_error=repr(exc)[:1000])
                )
        except Exception:  # pragma: no cover - bookkeeping must not hide the real failure
            log.exception("outbox relay: could not record failure")

    async def _housekeeping(self) -> None:
        o = self._outbox
        async with self._engine.begin() as conn:
            await conn.execute(delete(o).where(o.c.sent_at < utcnow() - self._sent_retention))
            pending, oldest = (
                await conn.execute(
                    select(func.count(), func.min(o.c.created_at)).where(o.c.sent_at.is_(None))
                )
            ).one()
        OUTBOX_PENDING.labels(self._service).set(pending)
        age = 0.0
        if oldest is not None:
            if not isinstance(oldest, datetime):  # SQLite's MIN() bypasses the column type
                oldest = datetime.fromisoformat(str(oldest))
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=UTC)
            age = (utcnow() - oldest).total_seconds()
        OUTBOX_OLDEST_PENDING.labels(self._service).set(age)

    async def pending_count(self) -> int:
        o = self._outbox
        async with self._engine.connect() as conn:
            return (
                await conn.execute(select(func.count()).where(o.c.sent_at.is_(None)))
            ).scalar_one()
