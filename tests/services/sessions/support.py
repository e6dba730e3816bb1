"""Helpers for driving the sessions service through the real broker and database."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tandem_shared.events import TOPICS_BY_NAME, EventEnvelope, EventPayload
from tandem_shared.events.intake import PartnerRegistered
from tandem_shared.service import hash_api_key, new_api_key


class Feeder:
    """Publishes envelopes onto their registry topics, as the other services would."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def publish(
        self,
        payload: EventPayload,
        *,
        partner_id: uuid.UUID,
        subject_id: uuid.UUID | str,
        producer: str = "test",
        programme_id: uuid.UUID | None = None,
        cohort_id: uuid.UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> EventEnvelope:
        envelope = EventEnvelope.wrap(
            payload,
            producer=producer,
            partner_id=partner_id,
            subject_id=subject_id,
            programme_id=programme_id,
            cohort_id=cohort_id,
            occurred_at=occurred_at,
        )
        headers = [(k, v.encode()) for k, v in envelope.to_cloudevents_headers().items()]
        await self.producer.send_and_wait(
            payload.topic, envelope.to_bytes(), key=envelope.key, headers=headers
        )
        return envelope

    async def register_partner(self, kind: str = "charity") -> tuple[uuid.UUID, str]:
        """A new partner and its API key (the key's hash travels, as intake sends it)."""
        partner_id, key = uuid.uuid4(), new_api_key()
        await self.publish(
            PartnerRegistered(
                partner_id=partner_id,
                slug=f"p-{partner_id.hex[:8]}",
                kind=kind,
                api_key_sha256=hash_api_key(key),
            ),
            partner_id=partner_id,
            subject_id=partner_id,
            producer="intake",
        )
        return partner_id, key


async def wait_until(predicate, timeout_s: float = 30.0, what: str = "condition"):
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
