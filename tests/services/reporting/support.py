"""Helpers for reporting.s service tests: settings, publishing envelopes, polling, reading."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tandem_shared.events import EventEnvelope, EventPayload
from tandem_shared.events.intake import PartnerRegistered
from tandem_shared.service import hash_api_key

TEST_TIMEOUTS = dict(
    consumer_session_timeout_ms=3_000,
    consumer_heartbeat_interval_ms=300,
    consumer_rebalance_timeout_ms=3_000,
    consumer_retry_backoff_s=0.01,
    relay_idle_poll_s=0.05,
    relay_max_backoff_s=1.0,
    lag_refresh_s=0.5,
)
OPERATOR_KEY = "test-operator-key"


def envelope(
    payload: EventPayload,
    *,
    partner_id: uuid.UUID,
    subject_id: uuid.UUID | str,
    programme_id: uuid.UUID | None = None,
    cohort_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    producer: str = "test",
) -> EventEnvelope:
    return EventEnvelope.wrap(
        payload,
        producer=producer,
        partner_id=partner_id,
        subject_id=subject_id,
        programme_id=programme_id,
        cohort_id=cohort_id,
        occurred_at=occurred_at or datetime.now(UTC),
    )


async def publish(bootstrap: str, *envelopes: EventEnvelope) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for env in envelopes:
            topic = type_topic(env)
            await producer.send_and_wait(
                topic, env.to_bytes(), key=env.key, headers=[("content-type", b"application/json")]
            )
    finally:
        await producer.stop()


def type_topic(env: EventEnvelope) -> str:
    from tandem_shared.events import payload_model

    return payload_model(env.event_type).topic


def partner_registered(partner_id: uuid.UUID, key: str, slug: str) -> EventEnvelope:
    return envelope(
        PartnerRegistered(
            partner_id=partner_id, slug=slug, kind="charity", api_key_sha256=hash_api_key(key)
        ),
        partner_id=partner_id,
        subject_id=partner_id,
        producer="intake",
    )


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], timeout_s: float = 30.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def read_events(
    bootstrap: str,
    topic: str,
    accept: Callable[[EventEnvelope], bool],
    expected: int,
    timeout_s: float = 20.0,
) -> list[EventEnvelope]:
    """Envelopes on `topic` (from the start) that `accept` keeps, until `expected` are seen."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[EventEnvelope] = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(found) < expected and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                for record in batch:
                    try:
                        env = EventEnvelope.from_bytes(record.value)
                    except ValueError:
                        continue
                    if accept(env):
                        found.append(env)
    finally:
        await consumer.stop()
    return found
