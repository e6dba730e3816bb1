"""A minimal service for kit tests: one `effects` table, one event type outside the catalogue.

The effects table deliberately has no unique constraint on event_id, so only the kit's inbox
stands between a redelivery and a double effect.
"""

from __future__ import annotations

import time
import uuid
from typing import ClassVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy import Column, Integer, String, Table, Uuid, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_shared.db import new_metadata
from tandem_shared.events import EventEnvelope, EventPayload
from tandem_shared.messaging import ConsumerSpec, MessagingKit, UnitOfWork, messaging_tables
from tandem_shared.settings import ServiceSettings

TEST_PARTNER = uuid.UUID("00000000-0000-4000-8000-0000000000aa")


class Pinged(EventPayload):
    event_type: ClassVar[str] = "test.pinged"
    topic: ClassVar[str] = "unused"

    seq: int
    poison: bool = False


def make_metadata():
    metadata = new_metadata()
    messaging_tables(metadata)
    Table(
        "effects",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False),
        Column("subject", String(64), nullable=False),
        Column("seq", Integer, nullable=False),
    )
    return metadata


METADATA = make_metadata()
EFFECTS = METADATA.tables["effects"]


def ping(subject: str, seq: int, *, poison: bool = False) -> EventEnvelope:
    return EventEnvelope.wrap(
        Pinged(seq=seq, poison=poison),
        producer="test",
        partner_id=TEST_PARTNER,
        subject_id=subject,
    )


async def record_effects(uow: UnitOfWork, items: list[tuple[EventEnvelope, EventPayload]]) -> None:
    rows = []
    for envelope, _ in items:
        if envelope.payload.get("poison"):
            raise ValueError(f"poison event seq={envelope.payload['seq']}")
        rows.append(
            {
                "event_id": envelope.event_id,
                "subject": envelope.subject_id,
                "seq": envelope.payload["seq"],
            }
        )
    await uow.session.execute(insert(EFFECTS), rows)


def effects_consumer(name: str, topic: str) -> ConsumerSpec:
    return ConsumerSpec(name, [topic], batch_handler=record_effects, accept_unknown_types=True)


async def create_schema(kit: MessagingKit) -> None:
    async with kit.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)


async def effect_rows(engine: AsyncEngine) -> list[tuple[uuid.UUID, str, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(EFFECTS.c.event_id, EFFECTS.c.subject, EFFECTS.c.seq).order_by(EFFECTS.c.id)
        )
        return [tuple(r) for r in rows]


async def effect_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(EFFECTS))).scalar_one()


def new_kit(settings: ServiceSettings, **kwargs) -> MessagingKit:
    return MessagingKit(settings, METADATA, **kwargs)


# -- helpers shared by the reliability tests ------------------------------------------------


async def read_topic(
    bootstrap: str, topic: str, expected: int, timeout_s: float = 30.0
) -> list[ConsumerRecord]:
    """Read a topic from the beginning (no consumer group) until `expected` records arrived."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(records) < expected and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def partition_count(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer.topics()  # refreshes the cluster metadata
        return len(consumer.partitions_for_topic(topic) or ())
    finally:
        await consumer.stop()


async def effects_per_event(engine: AsyncEngine) -> dict[uuid.UUID, int]:
    """How many effect rows each event produced."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(EFFECTS.c.event_id, func.count()).group_by(EFFECTS.c.event_id)
        )
        return {event_id: n for event_id, n in rows}


def record_headers(record: ConsumerRecord) -> dict[str, str]:
    return {k: v.decode() for k, v in (record.headers or ())}
