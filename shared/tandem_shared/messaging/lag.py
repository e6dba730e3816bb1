"""Consumer lag per group, topic and partition: high watermark minus committed offset.

The high watermark comes from fetch responses (`consumer.highwater`), not ListOffsets, which
Tansu 0.6 answers wrongly for multi-record batches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from .metrics import CONSUMER_LAG

log = logging.getLogger(__name__)


async def partition_lags(consumer: Any) -> dict[tuple[str, int], int]:
    lags: dict[tuple[str, int], int] = {}
    for tp in consumer.assignment():
        high = consumer.highwater(tp)
        if high is None:
            continue
        committed = await consumer.committed(tp)
        lags[(tp.topic, tp.partition)] = max(0, high - (committed or 0))
    return lags


class LagMonitor:
    def __init__(
        self,
        service: str,
        consumers: Callable[[], Iterable[tuple[str, Any]]],
        refresh_s: float = 5.0,
    ) -> None:
        self._service = service
        self._consumers = consumers  # yields (group_id, aiokafka consumer or None)
        self._refresh_s = refresh_s
        self._labels: set[tuple[str, str, str, str]] = set()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"lag-monitor-{self._service}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def refresh(self) -> None:
        seen: set[tuple[str, str, str, str]] = set()
        for group, consumer in self._consumers():
            if consumer is None:
                continue
            for (topic, partition), lag in (await partition_lags(consumer)).items():
                labels = (self._service, group, topic, str(partition))
                CONSUMER_LAG.labels(*labels).set(lag)
                seen.add(labels)
        for gone in self._labels - seen:  # partitions revoked in a rebalance
            CONSUMER_LAG.remove(*gone)
        self._labels = seen

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("lag refresh failed: %r", exc)
            await asyncio.sleep(self._refresh_s)
