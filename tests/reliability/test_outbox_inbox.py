"""The kit's delivery guarantees, through the real broker and a real database."""

from __future__ import annotations

import asyncio

import pytest

from tandem_shared.messaging import ensure_topics
from tandem_shared.testing.events import wait_until
from tandem_shared.testing.plugin import settings_for_tests

from .support import (
    create_schema,
    effect_count,
    effect_rows,
    effects_consumer,
    new_kit,
    ping,
    read_topic,
)


@pytest.fixture
def topic(kafka_bootstrap, unique) -> str:
    name = f"test.{unique}"
    ensure_topics(kafka_bootstrap, [(name, 3), (f"{name}.dlq", 1)])
    return name


async def test_rolled_back_transaction_leaves_no_event(kafka_bootstrap, each_database_url, topic):
    kit = new_kit(settings_for_tests("producer", each_database_url, kafka_bootstrap))
    await create_schema(kit)
    await kit.start(provision=False)
    try:
        async with kit.unit_of_work() as uow:
            uow.emit(ping("rolled-back", 1), topic)
            await uow.rollback()
        with pytest.raises(RuntimeError):
            async with kit.unit_of_work() as uow:
                uow.emit(ping("raised", 2), topic)
                raise RuntimeError("handler blew up before commit")
        async with kit.unit_of_work() as uow:
            uow.emit(ping("committed", 3), topic)
            await uow.commit()
        records = await read_topic(kafka_bootstrap, topic, expected=1)
        await asyncio.sleep(1.0)  # a late, wrongly published event would show up here
        records += await read_topic(kafka_bootstrap, topic, expected=99, timeout_s=1.0)
    finally:
        await kit.stop()
    keys = {r.key for r in records}
    assert keys == {b"committed"}
    assert await kit.relay.pending_count() == 0


async def test_redelivered_event_has_one_effect(kafka_bootstrap, each_database_url, topic, unique):
    kit = new_kit(settings_for_tests("consumer", each_database_url, kafka_bootstrap))
    kit.add_consumer(effects_consumer(f"g.{unique}", topic))
    await create_schema(kit)
    event = ping("subject-1", 1)
    producer = new_kit(settings_for_tests("producer", each_database_url, kafka_bootstrap))
    await producer.start(provision=False)
    try:
        # Copies within one fetched batch (published before the consumer starts) ...
        for _ in range(3):
            await (await producer.send(topic, event.key, event.to_bytes(), {}))
        await kit.start(provision=False)
        await wait_until(lambda: _count_at_least(kit, 1), what="first effect")
        # ... and a copy in a later batch, after the first was handled and committed.
        await (await producer.send(topic, event.key, event.to_bytes(), {}))
        marker = ping("subject-1", 2)  # same key, same partition: handled after the copy
        await (await producer.send(topic, marker.key, marker.to_bytes(), {}))
        await wait_until(lambda: _count_at_least(kit, 2), what="the marker's effect")
    finally:
        await kit.stop()
        await producer.stop()
    rows = await effect_rows(
        new_kit(settings_for_tests("x", each_database_url, kafka_bootstrap)).engine
    )
    assert [r[0] for r in rows] == [event.event_id, marker.event_id]


async def _count_at_least(kit, n: int) -> bool:
    return await effect_count(kit.engine) >= n
