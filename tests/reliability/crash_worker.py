"""A consumer process for the crash test: a MessagingKit running the effects consumer.

python -m tests.reliability.crash_worker --name w1 --database-url … --bootstrap … \
    --topic … --group … [--batch-max-records 100] [--batch-sleep-s 0.05]

Logs to stderr (the test sends it to a file): its partition assignment whenever it changes,
and one line per handled batch. Runs until SIGTERM or SIGINT (or SIGKILL, which is the point).
The database schema must exist already: the test creates it once, before any worker starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal

from prometheus_client import REGISTRY

from tandem_shared.messaging import ConsumerSpec
from tandem_shared.testing.plugin import settings_for_tests

from .support import new_kit, record_effects

log = logging.getLogger("crash_worker")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--batch-max-records", type=int, default=100)
    parser.add_argument("--batch-sleep-s", type=float, default=0.05)
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    settings = settings_for_tests(
        f"crash-{args.name}",
        args.database_url,
        args.bootstrap,
        consumer_batch_max_records=args.batch_max_records,
    )
    kit = new_kit(settings)
    batches = 0

    async def slow_effects(uow, items):
        # Inside the transaction: a kill during the sleep leaves an uncommitted batch behind.
        nonlocal batches
        await asyncio.sleep(args.batch_sleep_s)
        await record_effects(uow, items)
        batches += 1
        seqs = [envelope.payload["seq"] for envelope, _ in items]
        log.info("batch %d: %d events, seq %d..%d", batches, len(items), min(seqs), max(seqs))

    spec = ConsumerSpec(
        args.group, [args.topic], batch_handler=slow_effects, accept_unknown_types=True
    )
    kit.add_consumer(spec)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    await kit.start(provision=False)
    log.info("started pid=%d", os.getpid())
    assignment: list[int] | None = None
    try:
        while not stop.is_set():
            consumer = kit.consumers[0][1].consumer
            current = sorted(tp.partition for tp in consumer.assignment()) if consumer else []
            if current != assignment:
                assignment = current
                log.info("assigned %s", current)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
    finally:
        skipped = REGISTRY.get_sample_value(
            "tandem_inbox_duplicates_total",
            {"service": settings.service_name, "consumer": args.group},
        )
        log.info("stopping after %d batches; inbox skipped %d redeliveries", batches, skipped or 0)
        await kit.stop()
        log.info("stopped")


def main() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    asyncio.run(run(parse_args()))


if __name__ == "__main__":
    main()
