"""Test helpers for events on the real broker: build and publish envelopes, poll, read topics.

feeder = Feeder(bootstrap); await feeder.start()
await feeder.publish(ProgrammeCreated(...), partner_id=p, subject_id=x, producer="intake")
await publish(bootstrap, envelope(...), partner_registered(p, key, "slug"))
events = await topic_events(bootstrap, MATCHES.name)   # the topic up to its end
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from ..events import TOPICS_BY_NAME, EventEnvelope, EventPayload, payload_model
from ..events.intake import PartnerRegistered
from ..service.auth import hash_api_key, new_api_key


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
    """An envelope as another service would send it (occurred now unless said)."""
    return EventEnvelope.wrap(
        payload,
        producer=producer,
        partner_id=partner_id,
        subject_id=subject_id,
        programme_id=programme_id,
        cohort_id=cohort_id,
        occurred_at=occurred_at,
    )


def partner_registered(
    partner_id: uuid.UUID, key: str, slug: str, kind: str = "charity"
) -> EventEnvelope:
    """intake's partner.registered: the key's hash travels, so services accept `key`."""
    return envelope(
        PartnerRegistered(
            partner_id=partner_id, slug=slug, kind=kind, api_key_sha256=hash_api_key(key)
        ),
        partner_id=partner_id,
        subject_id=partner_id,
        producer="intake",
    )


class Feeder:
    """Publishes envelopes onto their registry topics, as the other services would."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def send(self, *envelopes: EventEnvelope) -> None:
        """Each envelope onto its event type's topic, keyed and with CloudEvents headers."""
        for env in envelopes:
            headers = [(k, v.encode()) for k, v in env.to_cloudevents_headers().items()]
            await self.producer.send_and_wait(
                payload_model(env.event_type).topic, env.to_bytes(), key=env.key, headers=headers
            )

    async def publish(self, payload: EventPayload, **wrap: Any) -> EventEnvelope:
        """Wrap `payload` (keywords as `envelope`) and send it; the envelope sent."""
        env = envelope(payload, **wrap)
        await self.send(env)
        return env

    async def register_partner(self, kind: str = "charity") -> tuple[uuid.UUID, str]:
        """A new partner and its API key (the key's hash travels, as intake sends it)."""
        partner_id, key = uuid.uuid4(), new_api_key()
        await self.send(partner_registered(partner_id, key, f"p-{partner_id.hex[:8]}", kind))
        return partner_id, key


async def publish(bootstrap: str, *envelopes: EventEnvelope) -> None:
    """Send envelopes with a producer of their own (see Feeder for many sends)."""
    feeder = Feeder(bootstrap)
    await feeder.start()
    try:
        await feeder.send(*envelopes)
    finally:
        await feeder.stop()


async def wait_until(
    predicate: Callable[[], Awaitable[Any]], timeout_s: float = 30.0, what: str = "condition"
) -> Any:
    """Poll an async predicate until it returns something truthy (a guard, not a timing)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = await predicate()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


async def outbox_drained(kit) -> None:
    """Everything committed so far has been published."""
    await wait_until(
        lambda: _zero(kit.relay.pending_count()), timeout_s=30, what="the outbox to drain"
    )


async def _zero(awaitable) -> bool:
    return (await awaitable) == 0


async def topic_events(bootstrap: str, topic: str) -> list[EventEnvelope]:
    """Every event on `topic` right now: read from the start up to the current end offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        count = TOPICS_BY_NAME[topic].partitions
        partitions = [TopicPartition(topic, p) for p in range(count)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        events: list[EventEnvelope] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            positions = {tp: await consumer.position(tp) for tp in partitions}
            if all(positions[tp] >= ends[tp] for tp in partitions):
                break
            for records in (await consumer.getmany(timeout_ms=500)).values():
                events.extend(EventEnvelope.from_bytes(r.value) for r in records)
        else:
            raise AssertionError(f"could not read {topic} to its end")
        return events
    finally:
        await consumer.stop()


async def read_events(
    bootstrap: str,
    topic: str,
    accept: Callable[[EventEnvelope], bool],
    expected: int,
    timeout_s: float = 20.0,
) -> list[EventEnvelope]:
    """Envelopes on `topic` (from the start) that `accept` keeps, until `expected` are seen
    (events still on their way count: it waits up to `timeout_s`)."""
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
