"""Event consumers with the kit's delivery guarantees.

- Offsets are committed only after handling (FastStream `NACK_ON_ERROR`, never `ACK_FIRST`).
- Effects are exactly-once: every event is claimed in the inbox inside the handler's
  transaction.
- A batch is handled in one transaction; if that fails, each event is retried on its own.
- An event that still fails after `max_attempts`, or cannot be parsed at all, goes to
  `<topic>.dlq` with `x-error-*` headers, and the partition moves on.
- Infrastructure failures (database or broker unreachable) are not the event's fault: they
  are never dead-lettered; the batch is redelivered after a pause.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from ..events.catalogue import CATALOGUE, parse_payload
from ..events.envelope import EventEnvelope, EventPayload
from ..events.topics import dead_letter_topic
from .inbox import claim
from .metrics import (
    DEAD_LETTERS,
    EVENTS_HANDLED,
    HANDLER_FAILURES,
    INBOX_DUPLICATES,
)
from .unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, EventEnvelope, EventPayload], Awaitable[None]]
BatchHandler = Callable[[UnitOfWork, list[tuple[EventEnvelope, EventPayload]]], Awaitable[None]]
SendFn = Callable[[str, bytes, bytes, dict[str, str]], Awaitable["asyncio.Future[Any]"]]

INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    ConnectionError,
    TimeoutError,
)


def is_infrastructure_error(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, INFRASTRUCTURE_ERRORS)


class PoisonMessage(Exception):
    """The record can never be handled (unparseable, or invalid against its schema)."""


@dataclass(frozen=True)
class Decoded:
    record: Any  # aiokafka ConsumerRecord
    envelope: EventEnvelope
    payload: EventPayload


@dataclass
class ConsumerSpec:
    """What a service declares: a named consumer (= group id) of topics, and its handlers."""

    name: str
    topics: Sequence[str]
    handlers: dict[str, Handler] = field(default_factory=dict)
    batch_handler: BatchHandler | None = None
    # Test and benchmark consumers accept event types outside the catalogue.
    accept_unknown_types: bool = False

    def handles(self, event_type: str) -> bool:
        return self.batch_handler is not None or event_type in self.handlers


class EventConsumer:
    """Runs one ConsumerSpec; `handle_records` is what the FastStream subscriber calls."""

    def __init__(
        self,
        spec: ConsumerSpec,
        *,
        service: str,
        unit_of_work: Callable[[], UnitOfWork],
        send: SendFn,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.05,
    ) -> None:
        self.spec = spec
        self._service = service
        self._uow = unit_of_work
        self._send = send
        self._max_attempts = max_attempts
        self._backoff = retry_backoff_s

    async def handle_records(self, records: Sequence[Any]) -> None:
        decoded: list[Decoded] = []
        for record in records:
            try:
                item = self._decode(record)
            except PoisonMessage as exc:
                await self._dead_letter(record, exc.__cause__ or exc, attempts=1, stage="decode")
                continue
            if item is not None:
                decoded.append(item)
        if not decoded:
            return
        try:
            await self._apply(decoded)
            return
        except Exception as exc:
            if is_infrastructure_error(exc):
                await self._pause_and_redeliver(exc)
            log.info(
                "%s: batch of %d failed (%r); retrying one by one",
                self.spec.name,
                len(decoded),
                exc,
            )
        for item in decoded:
            await self._apply_one_with_retries(item)

    def _decode(self, record: Any) -> Decoded | None:
        try:
            envelope = EventEnvelope.from_bytes(record.value)
        except (ValidationError, ValueError, TypeError) as exc:
            raise PoisonMessage("not a Tandem event envelope") from exc
        if envelope.event_type not in CATALOGUE:
            if self.spec.accept_unknown_types:
                return Decoded(record, envelope, EventPayload())
            # A newer producer's event: tolerant readers skip what they don't know.
            log.debug("%s: skipping unknown event type %s", self.spec.name, envelope.event_type)
            return None
        if not self.spec.handles(envelope.event_type):
            return None
        try:
            payload = parse_payload(envelope)
        except ValidationError as exc:
            raise PoisonMessage(f"invalid {envelope.event_type} payload") from exc
        return Decoded(record, envelope, payload)

    async def _apply(self, items: list[Decoded]) -> None:
        # One event can appear several times in a batch (publishing is at least once): the
        # inbox claims it once, so it is handled once.
        first: dict[Any, Decoded] = {}
        for item in items:
            first.setdefault(item.envelope.event_id, item)
        async with self._uow() as uow:
            fresh = await claim(
                uow.session,
                uow.inbox_table,
                self.spec.name,
                ((i.envelope.event_id, i.record.topic) for i in first.values()),
            )
            todo = [i for i in first.values() if i.envelope.event_id in fresh]
            if self.spec.batch_handler is not None:
                if todo:
                    await self.spec.batch_handler(uow, [(i.envelope, i.payload) for i in todo])
            else:
                for item in todo:
                    await self.spec.handlers[item.envelope.event_type](
                        uow, item.envelope, item.payload
                    )
            await uow.commit()
        skipped = len(items) - len(todo)
        if skipped:
            INBOX_DUPLICATES.labels(self._service, self.spec.name).inc(skipped)
        for topic in {i.record.topic for i in todo}:
            EVENTS_HANDLED.labels(self._service, topic, self.spec.name).inc(
                sum(1 for i in todo if i.record.topic == topic)
            )

    async def _apply_one_with_retries(self, item: Decoded) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._apply([item])
                return
            except Exception as exc:
                if is_infrastructure_error(exc):
                    await self._pause_and_redeliver(exc)
                HANDLER_FAILURES.labels(self._service, item.record.topic, self.spec.name).inc()
                log.warning(
                    "%s: %s %s failed (attempt %d/%d): %r",
                    self.spec.name,
                    item.envelope.event_type,
                    item.envelope.event_id,
                    attempt,
                    self._max_attempts,
                    exc,
                )
                if attempt == self._max_attempts:
                    await self._dead_letter(item.record, exc, attempts=attempt, stage="handle")
                    return
                await asyncio.sleep(self._backoff * attempt)

    async def _pause_and_redeliver(self, exc: BaseException) -> None:
        # Raising makes FastStream seek back (NACK): the batch comes again after the pause.
        log.warning("%s: infrastructure failure, will redeliver: %r", self.spec.name, exc)
        await asyncio.sleep(1.0)
        raise exc

    async def _dead_letter(
        self, record: Any, exc: BaseException, *, attempts: int, stage: str
    ) -> None:
        headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
        headers.update(
            dead_letter_headers(
                record, exc, consumer=self.spec.name, attempts=attempts, stage=stage
            )
        )
        key = record.key if record.key is not None else b""
        # Awaited with acks=all: if the DLQ write fails the batch is redelivered, never lost.
        future = await self._send(dead_letter_topic(record.topic), key, record.value, headers)
        await future
        DEAD_LETTERS.labels(self._service, record.topic, self.spec.name).inc()
        log.error(
            "%s: dead-lettered %s[%d]@%d after %d attempt(s): %r",
            self.spec.name,
            record.topic,
            record.partition,
            record.offset,
            attempts,
            exc,
        )


def dead_letter_headers(
    record: Any, exc: BaseException, *, consumer: str, attempts: int, stage: str
) -> dict[str, str]:
    return {
        "x-error-type": type(exc).__name__,
        "x-error-message": str(exc)[:2000],
        "x-error-stage": stage,
        "x-error-trace": "".join(traceback.format_exception(exc))[-4000:],
        "x-original-topic": record.topic,
        "x-original-partition": str(record.partition),
        "x-original-offset": str(record.offset),
        "x-consumer": consumer,
        "x-attempts": str(attempts),
        "x-failed-at": datetime.now(UTC).isoformat(),
    }
