"""A poison message goes to `<topic>.dlq` and the events behind it on its partition still flow."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tandem_shared.messaging import ensure_topics
from tandem_shared.testing.events import wait_until
from tandem_shared.testing.plugin import settings_for_tests

from .support import (
    create_schema,
    effects_consumer,
    effects_per_event,
    new_kit,
    ping,
    read_topic,
    record_headers,
)

MAX_ATTEMPTS = 4  # not the default (3): the setting must be what counts the attempts


def metric(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def topic(kafka_bootstrap, unique) -> str:
    name = f"test.poison.{unique}"
    # One partition: every record below is on the same partition, in this order.
    ensure_topics(kafka_bootstrap, [(name, 1), (f"{name}.dlq", 1)])
    return name


async def test_poison_and_garbage_are_dead_lettered_and_the_partition_moves_on(
    kafka_bootstrap, each_database_url, topic, unique
):
    settings = settings_for_tests(
        "poison", each_database_url, kafka_bootstrap, consumer_max_attempts=MAX_ATTEMPTS
    )
    group = f"g.poison.{unique}"
    kit = new_kit(settings)
    kit.add_consumer(effects_consumer(group, topic))
    await create_schema(kit)
    labels = {"service": settings.service_name, "topic": topic, "consumer": group}
    dead_before = metric("tandem_dead_letters_total", labels)
    failures_before = metric("tandem_handler_failures_total", labels)

    key = "one-key"
    good_before = [ping(key, 1)]
    poison = ping(key, 2, poison=True)
    good_between = [ping(key, seq) for seq in (3, 4, 5)]
    garbage = b"not json"
    good_after = [ping(key, seq) for seq in (6, 7)]
    good = good_before + good_between + good_after

    await kit.start(provision=False)
    try:
        offsets = {}

        async def publish(name: str, value: bytes) -> None:
            offsets[name] = (await (await kit.send(topic, key.encode(), value, {}))).offset

        for i, event in enumerate(good_before):
            await publish(f"good-{i}", event.to_bytes())
        await publish("poison", poison.to_bytes())
        for i, event in enumerate(good_between):
            await publish(f"between-{i}", event.to_bytes())
        await publish("garbage", garbage)
        for i, event in enumerate(good_after):
            await publish(f"after-{i}", event.to_bytes())
        assert sorted(offsets.values()) == list(offsets.values()), "one partition, in order"

        async def all_good_handled() -> bool:
            return len(await effects_per_event(kit.engine)) >= len(good)

        await wait_until(all_good_handled, timeout_s=60, what="effects of every good event")
        dead = await read_topic(kafka_bootstrap, f"{topic}.dlq", expected=2, timeout_s=30)
        effects = await effects_per_event(kit.engine)
    finally:
        await kit.stop()

    # Every good event, including those behind the poison and the garbage, had one effect;
    # the poison had none.
    assert effects == {e.event_id: 1 for e in good}

    assert len(dead) == 2, [r.value for r in dead]
    by_value = {r.value: r for r in dead}
    assert set(by_value) == {poison.to_bytes(), garbage}

    poisoned = by_value[poison.to_bytes()]
    headers = record_headers(poisoned)
    assert poisoned.key == key.encode()
    assert headers["x-attempts"] == str(MAX_ATTEMPTS)
    assert headers["x-error-type"] == "ValueError"
    assert "poison event seq=2" in headers["x-error-message"]
    assert headers["x-error-stage"] == "handle"
    assert headers["x-original-topic"] == topic
    assert headers["x-original-partition"] == "0"
    assert headers["x-original-offset"] == str(offsets["poison"])
    assert headers["x-consumer"] == group

    garbled = by_value[garbage]
    headers = record_headers(garbled)
    assert headers["x-attempts"] == "1"  # unparseable: no point retrying
    assert headers["x-error-stage"] == "decode"
    assert headers["x-error-type"] == "ValidationError"
    assert headers["x-original-topic"] == topic
    assert headers["x-original-offset"] == str(offsets["garbage"])

    assert metric("tandem_dead_letters_total", labels) == dead_before + 2
    assert metric("tandem_handler_failures_total", labels) == failures_before + MAX_ATTEMPTS
