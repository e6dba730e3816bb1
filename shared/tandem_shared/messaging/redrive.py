"""Re-drive dead letters: publish what is in `<topic>.dlq` back to its original topic.

After the cause is fixed (a handler bug, a missing reference), an operator sends the dead
letters back. Consumers claim events in their inbox, so re-driving something that was
handled after all has no second effect. The re-drive's own consumer group remembers how far
it got, so running it twice does not send the same letters twice.

    python -m tandem_shared.messaging.redrive tandem.intake.applications.dlq \\
        --bootstrap 127.0.0.1:9092 [--dry-run] [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from ..events.topics import DLQ_SUFFIX
from .broker import PRODUCER_SETTINGS

DROPPED_HEADER_PREFIX = "x-error-"


@dataclass
class RedriveReport:
    dlq: str
    read: int = 0
    sent: int = 0
    skipped: int = 0  # letters whose original topic is unknown
    by_topic: dict[str, int] = field(default_factory=dict)


def redriven_headers(headers: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The original headers, minus the error details, plus a re-drive count and time."""
    kept = [(k, v) for k, v in headers if not k.startswith(DROPPED_HEADER_PREFIX)]
    count = next((int(v) for k, v in headers if k == "x-redrive-count"), 0) + 1
    kept = [(k, v) for k, v in kept if k not in ("x-redrive-count", "x-redriven-at")]
    return [
        *kept,
        ("x-redrive-count", str(count).encode()),
        ("x-redriven-at", datetime.now(UTC).isoformat().encode()),
    ]


async def redrive(
    bootstrap: str,
    dlq: str,
    *,
    dry_run: bool = False,
    limit: int | None = None,
    idle_s: float = 2.0,
    progress: Callable[[str], None] = print,
) -> RedriveReport:
    if not dlq.endswith(DLQ_SUFFIX):
        raise ValueError(f"{dlq!r} is not a dead-letter topic (it must end in {DLQ_SUFFIX})")
    report = RedriveReport(dlq)
    consumer = AIOKafkaConsumer(
        dlq,
        bootstrap_servers=bootstrap,
        group_id=f"tandem.redrive.{dlq}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER_SETTINGS)
    await consumer.start()
    await producer.start()
    try:
        while limit is None or report.read < limit:
            batches = await consumer.getmany(timeout_ms=int(idle_s * 1000), max_records=500)
            records = [r for batch in batches.values() for r in batch]
            if not records:
                break  # nothing more arrived within idle_s: the DLQ is drained
            if limit is not None:
                records = records[: limit - report.read]
            futures = []
            for record in records:
                report.read += 1
                headers = list(record.headers or ())
                original = dict(headers).get("x-original-topic", b"").decode()
                if not original:
                    report.skipped += 1
                    continue
                report.by_topic[original] = report.by_topic.get(original, 0) + 1
                if not dry_run:
                    futures.append(
                        await producer.send(
                            original,
                            record.value,
                            key=record.key,
                            headers=redriven_headers(headers),
                        )
                    )
            if dry_run:
                continue
            await asyncio.gather(*futures)  # acknowledged (acks=all) before the commit
            report.sent += len(futures)
            await consumer.commit()
            progress(f"re-drove {report.sent} of {report.read} read from {dlq}")
    finally:
        await producer.stop()
        await consumer.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dlq", help="the dead-letter topic, e.g. tandem.intake.applications.dlq")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--dry-run", action="store_true", help="count, send nothing")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    report = asyncio.run(redrive(args.bootstrap, args.dlq, dry_run=args.dry_run, limit=args.limit))
    verb = "would re-drive" if args.dry_run else "re-drove"
    print(
        f"{verb} {sum(report.by_topic.values())} letter(s) from {report.dlq}: "
        f"{report.by_topic or '{}'}; skipped {report.skipped} without x-original-topic"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
