"""The consumer lag gauge: high watermark minus committed offset, per group and partition."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from tandem_shared.messaging import ConsumerSpec, ensure_topics
from tandem_shared.testing.events import wait_until
from tandem_shared.testing.plugin import settings_for_tests

from .support import create_schema, new_kit, ping, record_effects


async def test_lag_rises_while_the_handler_is_stuck_and_returns_to_zero(
    kafka_bootstrap, database_url, unique
):
    topic, group = f"test.lag.{unique}", f"g.lag.{unique}"
    ensure_topics(kafka_bootstrap, [(topic, 1), (f"{topic}.dlq", 1)])
    released = asyncio.Event()

    async def stuck_then_record(uow, items):
        await released.wait()
        await record_effects(uow, items)

    settings = settings_for_tests(
        "lagging", database_url, kafka_bootstrap, consumer_batch_max_records=5
    )
    kit = new_kit(settings)
    kit.add_consumer(
        ConsumerSpec(group, [topic], batch_handler=stuck_then_record, accept_unknown_types=True)
    )
    await create_schema(kit)
    await kit.start(provision=False)

    def lag() -> float | None:
        return REGISTRY.get_sample_value(
            "tandem_consumer_lag",
            {"service": "lagging", "group": group, "topic": topic, "partition": "0"},
        )

    try:
        for seq in range(20):
            event = ping("lagging-subject", seq)
            await (await kit.send(topic, event.key, event.to_bytes(), {}))

        async def lagging() -> bool:
            return (lag() or 0) >= 15  # the first batch (≤ 5) is stuck, nothing committed

        await wait_until(lagging, what="lag to show the backlog")
        released.set()

        async def caught_up() -> bool:
            return lag() == 0

        await wait_until(caught_up, what="lag to return to zero")
    finally:
        released.set()
        await kit.stop()
