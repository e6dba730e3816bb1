"""Benchmark of the event backbone: raw aiokafka vs naive consume+insert vs the messaging kit.

Three phases, in one run, on the same broker and the same database, with the same records on the
wire (the EventEnvelope JSON bytes as value, subject_id as key, the kit's CloudEvents headers):

- raw:   aiokafka produce and consume; no database. The ceiling of this broker and client.
- naive: aiokafka produce; consume with enable_auto_commit=True and one bulk INSERT of one effect
         row per event per fetched batch. At-most-once: a crash after an auto-commit and before
         the insert loses events; a crash after the insert and before the commit duplicates them.
- kit:   the messaging kit end to end: unit-of-work commits that write the outbox (many events per
         transaction, modelling a busy service), the outbox relay publishing to Kafka with
         acks=all, and a kit consumer whose batch handler writes one effect row per event in the
         same transaction as the inbox claim: the effect is recorded exactly once.

Each phase is timed from its first send (for kit: the start of the outbox writes) to the moment
the last effect (raw: the last record) is visible, i.e. its transaction committed. Producing and
consuming run concurrently in each phase; consumers have joined their group before the clock
starts. Serialising the envelopes (to_bytes and headers) is inside the timed part of all three.

For kit the stage split is also reported: a timeline of the concurrent run (when the outbox
writes, the relay and the last effect finished), and a second, stage-by-stage run of the same path
on a fresh topic: outbox writes alone (relay stopped), then the relay alone, then consume+inbox
alone (the consumer's partitions paused until then), each stage's events/s over its own duration.
All stages share one event loop (one Python thread) in the concurrent run, so there each stage's
speed is bounded by the CPU the others take.

Noise: the machine is small (2 cores, shared with PostgreSQL and the broker); compare runs by
kit_over_naive, which comes from phases a few seconds apart.

Usage: uv run --frozen python bench/messaging.py [--events 20000] [--partitions 3]
           [--database-url URL] [--bootstrap HOST:PORT] [--uow-batch 500]
           [--relay-batch 2000] [--consumer-batch 2000] [--no-stages]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import Column, Integer, String, Table, Uuid, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_shared.db import create_engine, new_metadata
from tandem_shared.embedded_broker import EmbeddedBroker
from tandem_shared.events import EventEnvelope, EventPayload
from tandem_shared.messaging import ConsumerSpec, MessagingKit, UnitOfWork, messaging_tables
from tandem_shared.messaging.provisioning import ensure_topics
from tandem_shared.testing.infrastructure import (
    LOCAL_POSTGRES,
    ThrowawayDatabases,
    postgres_reachable,
)
from tandem_shared.testing.plugin import settings_for_tests

BENCH_PARTNER = uuid.UUID("00000000-0000-4000-8000-0000000000bb")
DISTINCT_KEYS = 1000
PRODUCE_CHUNK = 1000  # raw/naive: sends in flight before awaiting their acknowledgements


def say(msg: str) -> None:
    print(msg, flush=True)


# -- the events and the effect tables ------------------------------------------------------------
class Pinged(EventPayload):
    """A benchmark event outside the catalogue (the kit consumer accepts unknown types)."""

    event_type: ClassVar[str] = "bench.pinged"
    topic: ClassVar[str] = "unused"

    seq: int


def effects_table(metadata, name: str) -> Table:
    # No unique constraint on event_id: only the kit's inbox stands between a redelivery and a
    # double effect (the run checks there is none).
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False),
        Column("subject", String(64), nullable=False),
        Column("seq", Integer, nullable=False),
    )


METADATA = new_metadata()
messaging_tables(METADATA)
KIT_EFFECTS = effects_table(METADATA, "bench_kit_effects")
STAGED_EFFECTS = effects_table(METADATA, "bench_kit_staged_effects")
NAIVE_EFFECTS = effects_table(METADATA, "bench_naive_effects")


def make_events(n: int) -> list[EventEnvelope]:
    return [
        EventEnvelope.wrap(
            Pinged(seq=i),
            producer="bench",
            partner_id=BENCH_PARTNER,
            subject_id=f"subject-{i % DISTINCT_KEYS:04d}",
        )
        for i in range(n)
    ]


def wire_headers(envelope: EventEnvelope) -> list[tuple[str, bytes]]:
    """The headers the kit puts on each record (content-type plus CloudEvents attributes)."""
    headers = {"content-type": "application/json", **envelope.to_cloudevents_headers()}
    return [(k, v.encode()) for k, v in headers.items()]


async def count_rows(engine: AsyncEngine, table: Table) -> tuple[int, int]:
    async with engine.connect() as conn:
        return tuple(
            (
                await conn.execute(
                    select(func.count(), func.count(table.c.event_id.distinct())).select_from(table)
                )
            ).one()
        )


# -- progress ------------------------------------------------------------------------------------
class Progress:
    """Prints a line every `every_s` while a phase runs, from counters the phase updates."""

    def __init__(self, label: str, n: int, counters: dict[str, Callable[[], int]]) -> None:
        self.label, self.n, self.counters = label, n, counters
        self.t0 = time.perf_counter()
        self._task: asyncio.Task | None = None

    def start(self, every_s: float = 1.0) -> Progress:
        self.t0 = time.perf_counter()
        self._task = asyncio.create_task(self._run(every_s))
        return self

    async def _run(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            parts = ", ".join(f"{k} {f():>6}/{self.n}" for k, f in self.counters.items())
            say(f"  [{self.label}] {time.perf_counter() - self.t0:5.1f}s  {parts}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def wait_for_assignment(consumer: Any, timeout_s: float = 30.0, poll: bool = True) -> None:
    """Wait until the group has assigned partitions (join + sync are outside the timed part)."""
    deadline = time.monotonic() + timeout_s
    while not (consumer is not None and consumer.assignment()):
        if time.monotonic() > deadline:
            raise TimeoutError("consumer got no partition assignment")
        if poll:
            await consumer.getmany(timeout_ms=100)  # empty topic: drives the group join
        else:
            await asyncio.sleep(0.05)


async def with_timeout(aw: Awaitable[Any], what: str, timeout_s: float) -> Any:
    try:
        return await asyncio.wait_for(aw, timeout_s)
    except TimeoutError:
        raise TimeoutError(f"{what}: not done after {timeout_s:.0f}s") from None


# -- raw and naive -------------------------------------------------------------------------------
async def produce_all(
    producer: AIOKafkaProducer, topic: str, events: list[EventEnvelope], sent: list[int]
) -> float:
    """Send every event (chunks of futures in flight, acks=all); returns when the last is acked."""
    for start in range(0, len(events), PRODUCE_CHUNK):
        futures = []
        for env in events[start : start + PRODUCE_CHUNK]:
            futures.append(
                await producer.send(topic, env.to_bytes(), key=env.key, headers=wire_headers(env))
            )
        await asyncio.gather(*futures)
        sent[0] += len(futures)
    return time.perf_counter()


def new_producer(bootstrap: str) -> AIOKafkaProducer:
    # The same producer settings as the kit's broker (Tansu rejects idempotent producers).
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=5
    )


async def run_raw(bootstrap: str, events: list[EventEnvelope], partitions: int, run: str) -> dict:
    n = len(events)
    topic = f"bench.raw.{run}"
    await asyncio.to_thread(ensure_topics, bootstrap, [(topic, partitions)])
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench.raw.{run}",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )
    producer = new_producer(bootstrap)
    await consumer.start()
    await producer.start()
    sent, received = [0], [0]
    try:
        await wait_for_assignment(consumer)
        progress = Progress("raw", n, {"sent": lambda: sent[0], "consumed": lambda: received[0]})
        progress.start()
        t0 = time.perf_counter()
        produce = asyncio.create_task(produce_all(producer, topic, events, sent))

        async def consume() -> float:
            while received[0] < n:
                for batch in (await consumer.getmany(timeout_ms=100, max_records=2000)).values():
                    received[0] += len(batch)
            return time.perf_counter()

        t_consumed = await with_timeout(consume(), "raw consume", 120)
        t_produced = await produce
        await progress.stop()
    finally:
        await producer.stop()
        await consumer.stop()
    elapsed = t_consumed - t0
    return {
        "eps": n / elapsed,
        "seconds": elapsed,
        "produce_eps": n / (t_produced - t0),
        "received": received[0],
    }


async def run_naive(
    bootstrap: str, engine: AsyncEngine, events: list[EventEnvelope], partitions: int, run: str
) -> dict:
    n = len(events)
    topic = f"bench.naive.{run}"
    await asyncio.to_thread(ensure_topics, bootstrap, [(topic, partitions)])
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench.naive.{run}",
        auto_offset_reset="earliest",
        enable_auto_commit=True,  # offsets committed on a timer, whether or not rows were written
    )
    producer = new_producer(bootstrap)
    await consumer.start()
    await producer.start()
    sent, written = [0], [0]
    try:
        await wait_for_assignment(consumer)
        progress = Progress("naive", n, {"sent": lambda: sent[0], "written": lambda: written[0]})
        progress.start()
        t0 = time.perf_counter()
        produce = asyncio.create_task(produce_all(producer, topic, events, sent))

        async def consume() -> float:
            while written[0] < n:
                fetched = await consumer.getmany(timeout_ms=100, max_records=2000)
                rows = []
                for batch in fetched.values():
                    for record in batch:
                        body = json.loads(record.value)
                        rows.append(
                            {
                                "event_id": uuid.UUID(body["event_id"]),
                                "subject": body["subject_id"],
                                "seq": body["payload"]["seq"],
                            }
                        )
                if rows:
                    async with engine.begin() as conn:
                        await conn.execute(insert(NAIVE_EFFECTS), rows)
                    written[0] += len(rows)
            return time.perf_counter()

        t_written = await with_timeout(consume(), "naive consume", 120)
        t_produced = await produce
        await progress.stop()
    finally:
        await producer.stop()
        await consumer.stop()
    elapsed = t_written - t0
    rows, distinct = await count_rows(engine, NAIVE_EFFECTS)
    return {
        "eps": n / elapsed,
        "seconds": elapsed,
        "produce_eps": n / (t_produced - t0),
        "effect_rows": rows,
        "distinct_effects": distinct,
    }


# -- kit -----------------------------------------------------------------------------------------
class StageClock:
    """Busy time and completion time of one stage, by wrapping one of its coroutine methods."""

    def __init__(self) -> None:
        self.busy = 0.0
        self.calls = 0
        self.items = 0
        self.last_done = 0.0

    def wrap(self, fn: Callable[..., Awaitable[Any]], count: Callable[[Any, Any], int]):
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            result = await fn(*args, **kwargs)
            done = time.perf_counter()
            items = count(args, result)
            if items:
                self.busy += done - start
                self.calls += 1
                self.items += items
                self.last_done = done
            return result

        return timed


def effects_handler(table: Table):
    async def record_effects(
        uow: UnitOfWork, items: list[tuple[EventEnvelope, EventPayload]]
    ) -> None:
        """The kit consumer's batch handler: one effect row per event, in its inbox transaction."""
        await uow.session.execute(
            insert(table),
            [
                {"event_id": env.event_id, "subject": env.subject_id, "seq": env.payload["seq"]}
                for env, _ in items
            ],
        )

    return record_effects


def kit_settings(name: str, database_url: str, bootstrap: str, relay_batch, consumer_batch):
    overrides = {}
    if relay_batch:
        overrides["relay_batch_size"] = relay_batch
    if consumer_batch:
        overrides["consumer_batch_max_records"] = consumer_batch
    return settings_for_tests(name, database_url, bootstrap, **overrides)


async def write_outbox(
    kit: MessagingKit, topic: str, events: list[EventEnvelope], uow_batch: int, written: list[int]
) -> float:
    """The producing service: `uow_batch` events emitted per unit of work (one transaction)."""
    for start in range(0, len(events), uow_batch):
        chunk = events[start : start + uow_batch]
        async with kit.unit_of_work() as uow:
            for env in chunk:
                uow.emit(env, topic)
            await uow.commit()
        written[0] += len(chunk)
    return time.perf_counter()


async def wait_until(predicate: Callable[[], bool], what: str, timeout_s: float = 120) -> float:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done after {timeout_s:.0f}s")
        await asyncio.sleep(0.005)
    return time.perf_counter()


async def verify_effects(database_url: str, table: Table, consumer: str) -> tuple[int, int, int]:
    engine = create_engine(database_url)
    try:
        rows, distinct = await count_rows(engine, table)
        inbox = messaging_tables(METADATA).inbox
        async with engine.connect() as conn:
            claimed = (
                await conn.execute(
                    select(func.count()).select_from(inbox).where(inbox.c.consumer == consumer)
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    return rows, distinct, claimed


async def run_kit(
    bootstrap: str,
    database_url: str,
    events: list[EventEnvelope],
    partitions: int,
    run: str,
    *,
    uow_batch: int,
    relay_batch: int | None,
    consumer_batch: int | None,
) -> dict:
    """The kit end to end, all stages running at once: the headline kit_eps."""
    n = len(events)
    topic = group = f"bench.kit.{run}"
    await asyncio.to_thread(ensure_topics, bootstrap, [(topic, partitions), (f"{topic}.dlq", 1)])
    settings = kit_settings(f"bench-{run}", database_url, bootstrap, relay_batch, consumer_batch)
    kit = MessagingKit(settings, METADATA)
    consumer = kit.add_consumer(
        ConsumerSpec(
            group, [topic], batch_handler=effects_handler(KIT_EFFECTS), accept_unknown_types=True
        )
    )
    # Measurement only: time the relay's batches and the consumer's batches (no behaviour change).
    relay_clock, consume_clock = StageClock(), StageClock()
    kit.relay.publish_batch = relay_clock.wrap(kit.relay.publish_batch, lambda a, r: r)
    consumer.handle_records = consume_clock.wrap(consumer.handle_records, lambda a, r: len(a[0]))
    written = [0]
    await kit.start(provision=False)
    try:
        await wait_for_assignment(kit.consumers[0][1].consumer, poll=False)
        progress = Progress(
            "kit",
            n,
            {
                "outbox": lambda: written[0],
                "published": lambda: relay_clock.items,
                "effects": lambda: consume_clock.items,
            },
        ).start()
        t0 = time.perf_counter()
        t_outbox = await with_timeout(
            write_outbox(kit, topic, events, uow_batch, written), "kit outbox writes", 120
        )
        await wait_until(lambda: consume_clock.items >= n, "kit effects")
        await progress.stop()
        t_published, t_effects = relay_clock.last_done, consume_clock.last_done
    finally:
        await kit.stop()
    elapsed = t_effects - t0
    rows, distinct, claimed = await verify_effects(database_url, KIT_EFFECTS, group)
    return {
        "eps": n / elapsed,
        "seconds": elapsed,
        "effect_rows": rows,
        "distinct_effects": distinct,
        "inbox_rows": claimed,
        "outbox_done_s": t_outbox - t0,
        "relay_done_s": t_published - t0,
        "effects_done_s": elapsed,
        "relay_batches": relay_clock.calls,
        "consumer_batches": consume_clock.calls,
        "relay_batch_size": settings.relay_batch_size,
        "consumer_batch_max_records": settings.consumer_batch_max_records,
    }


async def run_kit_stages(
    bootstrap: str,
    database_url: str,
    events: list[EventEnvelope],
    partitions: int,
    run: str,
    *,
    uow_batch: int,
    relay_batch: int | None,
    consumer_batch: int | None,
) -> dict:
    """The kit's stages one after another, each alone, for the split of where the time goes.

    A producing kit (no consumers) writes the outbox with its relay stopped; then its relay
    publishes everything; then a consuming kit (its own relay stopped, its partitions paused
    until then, so its group join is not timed) consumes, claims and records the effects.
    """
    n = len(events)
    topic = group = f"bench.kitstages.{run}"
    await asyncio.to_thread(ensure_topics, bootstrap, [(topic, partitions), (f"{topic}.dlq", 1)])
    producing = MessagingKit(
        kit_settings(f"bench-{run}-p", database_url, bootstrap, relay_batch, consumer_batch),
        METADATA,
    )
    consuming = MessagingKit(
        kit_settings(f"bench-{run}-c", database_url, bootstrap, relay_batch, consumer_batch),
        METADATA,
    )
    consumer = consuming.add_consumer(
        ConsumerSpec(
            group, [topic], batch_handler=effects_handler(STAGED_EFFECTS), accept_unknown_types=True
        )
    )
    relay_clock, consume_clock = StageClock(), StageClock()
    producing.relay.publish_batch = relay_clock.wrap(producing.relay.publish_batch, lambda a, r: r)
    consumer.handle_records = consume_clock.wrap(consumer.handle_records, lambda a, r: len(a[0]))
    written = [0]
    await consuming.start(provision=False)
    await consuming.relay.stop()  # the outbox table is shared: only the producing kit relays
    await producing.start(provision=False)
    await producing.relay.stop()
    try:
        kafka_consumer = consuming.consumers[0][1].consumer
        await wait_for_assignment(kafka_consumer, poll=False)
        kafka_consumer.pause(*kafka_consumer.assignment())
        progress = Progress(
            "kit stages",
            n,
            {
                "outbox": lambda: written[0],
                "published": lambda: relay_clock.items,
                "effects": lambda: consume_clock.items,
            },
        ).start()
        t0 = time.perf_counter()
        t1 = await with_timeout(
            write_outbox(producing, topic, events, uow_batch, written), "outbox writes", 120
        )
        producing.relay.start()
        await wait_until(lambda: relay_clock.items >= n, "relay publish")
        t2 = relay_clock.last_done
        kafka_consumer.resume(*kafka_consumer.assignment())
        t2b = time.perf_counter()
        await wait_until(lambda: consume_clock.items >= n, "consume + inbox")
        t3 = consume_clock.last_done
        await progress.stop()
    finally:
        await producing.stop()
        await consuming.stop()
    rows, distinct, claimed = await verify_effects(database_url, STAGED_EFFECTS, group)
    return {
        "outbox_write_eps": n / (t1 - t0),
        "relay_publish_eps": n / (t2 - t1),
        "consume_inbox_eps": n / (t3 - t2b),
        "outbox_write_s": t1 - t0,
        "relay_publish_s": t2 - t1,
        "consume_inbox_s": t3 - t2b,
        "relay_busy_s": relay_clock.busy,
        "consume_busy_s": consume_clock.busy,
        "exactly_once": rows == distinct == claimed == n,
    }


# -- set-up and the run --------------------------------------------------------------------------
async def create_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
    finally:
        await engine.dispose()


async def bench(args: argparse.Namespace, database_url: str, bootstrap: str, backend: str) -> dict:
    n, partitions = args.events, args.partitions
    run = uuid.uuid4().hex[:10]
    say(f"preparing {n} events over {DISTINCT_KEYS} keys (run {run})")
    events = make_events(n)
    await create_schema(database_url)

    say(f"[raw] aiokafka produce + consume, {partitions} partitions")
    raw = await run_raw(bootstrap, events, partitions, run)
    say(f"[raw] {raw['eps']:,.0f} events/s ({raw['seconds']:.2f}s)")

    say("[naive] aiokafka produce; consume (auto-commit) + bulk insert per fetched batch")
    engine = create_engine(database_url)
    try:
        naive = await run_naive(bootstrap, engine, events, partitions, run)
    finally:
        await engine.dispose()
    say(f"[naive] {naive['eps']:,.0f} events/s ({naive['seconds']:.2f}s)")

    say(
        f"[kit] outbox ({args.uow_batch} events per unit of work) -> relay -> Kafka -> "
        "inbox + effect, exactly once"
    )
    kit = await run_kit(
        bootstrap,
        database_url,
        events,
        partitions,
        run,
        uow_batch=args.uow_batch,
        relay_batch=args.relay_batch,
        consumer_batch=args.consumer_batch,
    )
    say(f"[kit] {kit['eps']:,.0f} events/s ({kit['seconds']:.2f}s)")
    say(
        f"[kit] timeline: outbox writes done at {kit['outbox_done_s']:.2f}s, relay done at "
        f"{kit['relay_done_s']:.2f}s ({kit['relay_batches']} batches of <= "
        f"{kit['relay_batch_size']}), last effect at {kit['effects_done_s']:.2f}s "
        f"({kit['consumer_batches']} batches of <= {kit['consumer_batch_max_records']})"
    )
    ok = kit["effect_rows"] == kit["distinct_effects"] == kit["inbox_rows"] == n
    say(
        f"[kit] effect rows {kit['effect_rows']}, distinct {kit['distinct_effects']}, inbox "
        f"{kit['inbox_rows']}: {'exactly once' if ok else 'MISMATCH'}"
    )
    result = {
        "events": n,
        "backend": backend,
        "partitions": partitions,
        "distinct_keys": DISTINCT_KEYS,
        "uow_events_per_commit": args.uow_batch,
        "raw_eps": round(raw["eps"]),
        "naive_eps": round(naive["eps"]),
        "kit_eps": round(kit["eps"]),
        "kit_over_naive": round(kit["eps"] / naive["eps"], 3),
        "kit_over_raw": round(kit["eps"] / raw["eps"], 3),
        "raw_seconds": round(raw["seconds"], 3),
        "naive_seconds": round(naive["seconds"], 3),
        "kit_seconds": round(kit["seconds"], 3),
        "kit_outbox_done_s": round(kit["outbox_done_s"], 3),
        "kit_relay_done_s": round(kit["relay_done_s"], 3),
        "kit_relay_batch_size": kit["relay_batch_size"],
        "kit_consumer_batch_max_records": kit["consumer_batch_max_records"],
        "kit_exactly_once": ok,
        "naive_effect_rows": naive["effect_rows"],
    }
    if not args.no_stages:
        say("[kit stages] the same path one stage at a time (outbox, then relay, then consume)")
        st = await run_kit_stages(
            bootstrap,
            database_url,
            make_events(n),  # fresh event ids: the outbox has a unique event_id
            partitions,
            run,
            uow_batch=args.uow_batch,
            relay_batch=args.relay_batch,
            consumer_batch=args.consumer_batch,
        )
        say(
            f"[kit stages] outbox write {st['outbox_write_eps']:,.0f} eps "
            f"({st['outbox_write_s']:.2f}s), relay publish {st['relay_publish_eps']:,.0f} eps "
            f"({st['relay_publish_s']:.2f}s), consume+inbox {st['consume_inbox_eps']:,.0f} eps "
            f"({st['consume_inbox_s']:.2f}s); exactly once: {st['exactly_once']}"
        )
        result.update(
            kit_outbox_write_eps=round(st["outbox_write_eps"]),
            kit_relay_publish_eps=round(st["relay_publish_eps"]),
            kit_consume_inbox_eps=round(st["consume_inbox_eps"]),
            kit_stages_exactly_once=st["exactly_once"],
        )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP"))
    parser.add_argument("--uow-batch", type=int, default=500, help="events per unit of work")
    # The kit's own batch settings (its defaults are 500 and 500): bigger batches amortise the
    # relay's per-batch round trips and acknowledgement wait, and the consumer's per-transaction
    # costs; 0 keeps the kit's default.
    parser.add_argument("--relay-batch", type=int, default=2000, help="relay_batch_size setting")
    parser.add_argument(
        "--consumer-batch", type=int, default=2000, help="consumer_batch_max_records setting"
    )
    parser.add_argument(
        "--no-stages", action="store_true", help="skip the stage-by-stage kit measurement"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tandem-bench-")))
        databases = None
        if args.database_url:
            database_url = args.database_url
            backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
        else:
            databases = ThrowawayDatabases(LOCAL_POSTGRES if postgres_reachable() else None, tmp)
            stack.callback(databases.drop_all)
            database_url = databases.create("bench")
            backend = databases.backend
        say(f"database: {backend} ({database_url.rsplit('/', 1)[-1]})")
        bootstrap = args.bootstrap
        if not bootstrap:
            broker = stack.enter_context(EmbeddedBroker(log_path=tmp / "tansu.log"))
            bootstrap = broker.bootstrap
            say(f"broker: embedded Tansu at {bootstrap}")
        else:
            say(f"broker: {bootstrap}")
        result = asyncio.run(bench(args, database_url, bootstrap, backend))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
