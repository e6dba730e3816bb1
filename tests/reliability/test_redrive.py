"""Re-driving dead letters: once the cause is fixed, the letters are handled exactly once."""

from __future__ import annotations

import asyncio

from tandem_shared.messaging import ConsumerSpec, ensure_topics
from tandem_shared.messaging.redrive import redrive
from tandem_shared.testing.events import wait_until
from tandem_shared.testing.plugin import settings_for_tests

from .support import (
    create_schema,
    effects_per_event,
    new_kit,
    ping,
    read_topic,
    record_effects,
    record_headers,
)


async def test_redriven_letters_are_handled_once_and_not_sent_twice(
    kafka_bootstrap, database_url, unique
):
    topic, group = f"test.redrive.{unique}", f"g.redrive.{unique}"
    dlq = f"{topic}.dlq"
    ensure_topics(kafka_bootstrap, [(topic, 2), (dlq, 1)])
    handler_fixed = asyncio.Event()

    async def buggy_until_fixed(uow, items):
        if not handler_fixed.is_set():
            raise ValueError("a handler bug, fixed later")
        await record_effects(uow, items)

    settings = settings_for_tests("redrive", database_url, kafka_bootstrap, consumer_max_attempts=2)
    kit = new_kit(settings)
    kit.add_consumer(
        ConsumerSpec(group, [topic], batch_handler=buggy_until_fixed, accept_unknown_types=True)
    )
    await create_schema(kit)
    await kit.start(provision=False)
    try:
        events = [ping(f"subject-{i}", i) for i in range(3)]
        for event in events:
            await (await kit.send(topic, event.key, event.to_bytes(), {}))
        letters = await read_topic(kafka_bootstrap, dlq, expected=3)
        assert len(letters) == 3

        dry = await redrive(kafka_bootstrap, dlq, dry_run=True, idle_s=1.0)
        assert (dry.read, dry.sent) == (3, 0)

        handler_fixed.set()
        report = await redrive(kafka_bootstrap, dlq, idle_s=1.0)
        assert (report.sent, report.by_topic) == (3, {topic: 3})

        async def all_handled():
            counts = await effects_per_event(kit.engine)
            return len(counts) == 3 and counts

        counts = await wait_until(all_handled, what="the re-driven events' effects")
        assert set(counts) == {e.event_id for e in events}
        assert set(counts.values()) == {1}

        again = await redrive(kafka_bootstrap, dlq, idle_s=1.0)
        assert again.sent == 0  # the re-drive group remembers where it stopped

        resent = [
            r
            for r in await read_topic(kafka_bootstrap, topic, expected=6)
            if "x-redrive-count" in record_headers(r)
        ]
        assert len(resent) == 3
        for record in resent:
            headers = record_headers(record)
            assert headers["x-redrive-count"] == "1"
            assert not any(k.startswith("x-error-") for k in headers)
    finally:
        handler_fixed.set()
        await kit.stop()
