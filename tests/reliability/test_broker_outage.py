"""A broker outage: writes go on, the outbox holds the events, and they arrive in key order."""

from __future__ import annotations

import json
import random
from collections import defaultdict

from prometheus_client import REGISTRY

from tandem_shared.messaging import ensure_topics
from tandem_shared.testing.events import wait_until
from tandem_shared.testing.plugin import settings_for_tests

from .support import create_schema, new_kit, partition_count, ping, read_topic

KEYS = [f"key-{k:02d}" for k in range(20)]
EVENTS_PER_KEY = 30
BEFORE_OUTAGE = 5  # per key; the other 25 are written while the broker is down
PARTITIONS = 3


async def write_events(kit, topic: str, seqs: range, rng: random.Random) -> int:
    """Write `seqs` for every key in transactions of 1-7 events, keys interleaved."""
    stream = []
    for seq in seqs:
        keys = list(KEYS)
        rng.shuffle(keys)
        stream += [ping(key, seq) for key in keys]
    written = 0
    while written < len(stream):
        chunk = stream[written : written + rng.randint(1, 7)]
        async with kit.unit_of_work() as uow:
            for event in chunk:
                uow.emit(event, topic)
            await uow.commit()
        written += len(chunk)
    return written


def seqs_by_key(records) -> dict[str, list[int]]:
    """Each key's `seq` values in partition order; a key must stay on one partition."""
    seqs: dict[str, list[int]] = defaultdict(list)
    partitions: dict[str, set[int]] = defaultdict(set)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        key = record.key.decode()
        seqs[key].append(json.loads(record.value)["payload"]["seq"])
        partitions[key].add(record.partition)
    spread = {k: p for k, p in partitions.items() if len(p) > 1}
    assert not spread, f"keys spread over partitions: {spread}"
    return dict(seqs)


async def test_outbox_survives_broker_outage_and_keeps_key_order(
    embedded_broker_factory, database_url, unique
):
    rng = random.Random(unique)
    broker = embedded_broker_factory()
    bootstrap, port = broker.bootstrap, broker.port
    topic = f"test.outage.{unique}"
    ensure_topics(bootstrap, [(topic, PARTITIONS)])

    kit = new_kit(settings_for_tests("outage", database_url, bootstrap))
    await create_schema(kit)
    await kit.start(provision=False)

    def failures() -> float:
        labels = {"service": kit.service}
        return REGISTRY.get_sample_value("tandem_outbox_publish_failures_total", labels) or 0.0

    failures_before = failures()

    async def nothing_pending() -> bool:
        return await kit.relay.pending_count() == 0

    try:
        before = await write_events(kit, topic, range(BEFORE_OUTAGE), rng)
        await wait_until(nothing_pending, timeout_s=60, what="events before the outage published")
        # Read them now: a restarted broker forgets everything (memory storage).
        records_before = await read_topic(bootstrap, topic, expected=before, timeout_s=60)

        broker.stop()
        during = await write_events(kit, topic, range(BEFORE_OUTAGE, EVENTS_PER_KEY), rng)
        assert await kit.relay.pending_count() == during

        # Long enough for the relay's publish to time out (the producer's request timeout)
        # and be retried: the rows wait, none is lost, marked sent or skipped meanwhile.
        async def relay_failed() -> bool:
            assert await kit.relay.pending_count() == during
            return failures() > failures_before

        await wait_until(relay_failed, timeout_s=90, what="a failed publish during the outage")

        # Same port, empty broker (memory storage): provision again before the relay can
        # publish, so the topic is not auto-created with the broker's default partitions.
        # Both calls are synchronous on purpose: they block the event loop and the relay.
        embedded_broker_factory(port=port)  # stopped by the fixture at teardown
        ensure_topics(bootstrap, [(topic, PARTITIONS)])

        await wait_until(nothing_pending, timeout_s=90, what="the outbox to drain after restart")
        # The restarted broker has only what the relay published after the outage.
        records_after = await read_topic(bootstrap, topic, expected=during, timeout_s=60)
        partitions = await partition_count(bootstrap, topic)
    finally:
        await kit.stop()

    assert before + during == len(KEYS) * EVENTS_PER_KEY
    assert partitions == PARTITIONS, "the topic was auto-created instead of provisioned"
    assert len(records_before) == before
    assert len(records_after) == during, f"expected {during} records, read {len(records_after)}"
    # Per key: every seq, strictly increasing, across the outage.
    first, second = seqs_by_key(records_before), seqs_by_key(records_after)
    assert sorted(first) == sorted(second) == sorted(KEYS)
    for key in KEYS:
        assert first[key] + second[key] == list(range(EVENTS_PER_KEY)), (
            f"{key}: {first[key]} then {second[key]}"
        )
