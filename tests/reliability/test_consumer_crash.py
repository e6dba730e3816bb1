"""A consumer process killed mid-stream: its partitions move on, and no event is lost or doubled.

Two worker processes (tests/reliability/crash_worker.py) share one consumer group on a
3-partition topic. One is killed with SIGKILL while it is handling batches; the survivor
takes over its partitions after the group rebalances, and gets the uncommitted records again.
Only the inbox stands between a redelivery and a second effect row.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from tandem_shared.messaging import ensure_topics
from tandem_shared.testing.events import wait_until
from tandem_shared.testing.plugin import settings_for_tests

from .support import EFFECTS, create_schema, effects_per_event, new_kit, ping

REPO_ROOT = Path(__file__).resolve().parents[2]
PARTITIONS = 3
KEYS = 60
EVENTS = 6_000
ASSIGNED = re.compile(r"assigned \[([\d, ]*)\]")


class Worker:
    """One crash_worker process, logging to a file in tmp_path."""

    def __init__(self, name: str, log_dir: Path, args: list[str]) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.crash_worker", "--name", name, *args],
            cwd=REPO_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def assignment(self) -> set[int] | None:
        """The partitions it last reported; None before its first report."""
        found = ASSIGNED.findall(self.text())
        if not found:
            return None
        return {int(p) for p in found[-1].split(",") if p.strip()}

    def batches(self) -> int:
        return self.text().count(" batch ")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout_s: float = 20.0) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-lines:])


async def publish_events(bootstrap: str, topic: str) -> set:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=5
    )
    await producer.start()
    try:
        events = [ping(f"key-{i % KEYS:02d}", i // KEYS) for i in range(EVENTS)]
        futures = [await producer.send(topic, event.to_bytes(), key=event.key) for event in events]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return {event.event_id for event in events}


async def test_killed_consumer_loses_and_doubles_nothing(
    kafka_bootstrap, database_url, unique, tmp_path
):
    topic = f"test.crash.{unique}"
    group = f"g.crash.{unique}"
    ensure_topics(kafka_bootstrap, [(topic, PARTITIONS), (f"{topic}.dlq", 1)])
    kit = new_kit(settings_for_tests("crash-test", database_url, kafka_bootstrap))
    await create_schema(kit)  # once, before the workers: they must not race to create it
    engine = kit.engine
    args = ["--database-url", database_url, "--bootstrap", kafka_bootstrap]
    args += ["--topic", topic, "--group", group, "--batch-max-records", "100"]
    args += ["--batch-sleep-s", "0.05"]

    async def handled() -> int:
        async with engine.connect() as conn:
            query = select(func.count(func.distinct(EFFECTS.c.event_id)))
            return (await conn.execute(query)).scalar_one()

    workers: list[Worker] = []
    try:
        workers += [Worker("w1", tmp_path, args), Worker("w2", tmp_path, args)]
        victim, survivor = workers

        async def group_settled() -> bool:
            assert all(w.alive() for w in workers), "a worker died at start-up"
            a, b = victim.assignment(), survivor.assignment()
            return bool(a) and bool(b) and not (a & b) and a | b == set(range(PARTITIONS))

        # Publish only once both share the partitions, so both are mid-stream when one dies.
        await wait_until(group_settled, timeout_s=60, what="both workers to be assigned")
        published = await publish_events(kafka_bootstrap, topic)

        async def both_busy() -> bool:
            return victim.batches() >= 3 and survivor.batches() >= 1

        await wait_until(both_busy, timeout_s=120, what="both workers to handle batches")
        victim_partitions = victim.assignment()
        victim.kill()
        killed_at = time.monotonic()
        handled_at_kill = await handled()
        print(f"killed {victim.name} (partitions {victim_partitions}) at {handled_at_kill}")
        assert handled_at_kill < EVENTS, "the stream ended before the kill: slow the workers"

        async def took_over() -> bool:
            assert survivor.alive(), "the survivor died"
            return survivor.assignment() == set(range(PARTITIONS))

        await wait_until(took_over, timeout_s=120, what="the survivor to take every partition")
        print(f"rebalanced after {time.monotonic() - killed_at:.1f}s")

        async def all_handled() -> bool:
            assert survivor.alive(), "the survivor died"
            return await handled() >= EVENTS

        await wait_until(all_handled, timeout_s=120, what="every event to be handled")
        await asyncio.sleep(1.0)  # a late duplicate effect would show up here
        counts = await effects_per_event(engine)
    finally:
        for worker in workers:
            worker.stop()
        await engine.dispose()
        for worker in workers:
            print(f"----- {worker.name} (exit {worker.process.returncode}) -----")
            print(worker.tail())

    assert set(counts) == published, (
        f"{len(published - set(counts))} events without effect, "
        f"{len(set(counts) - published)} unexpected"
    )
    doubled = {event_id: n for event_id, n in counts.items() if n != 1}
    assert not doubled, f"{len(doubled)} events with more than one effect"
