"""A background job that runs every few seconds for the life of a service's app.

    job = PeriodicJob("lapse scan", settings.lapse_scan_interval_s, lambda: scan(kit))
    create_service_app(..., on_started=job.start, on_stopping=job.stop)

A failing run is logged and the loop goes on; `stop` cancels the task and waits for it, so
the job ends before the kit it writes through. `run_first` runs once at start instead of
after the first interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class PeriodicJob:
    def __init__(
        self,
        name: str,
        interval_s: float,
        fn: Callable[[], Awaitable[Any]],
        *,
        run_first: bool = False,
    ) -> None:
        self.name = name
        self.interval_s = interval_s
        self.fn = fn
        self.run_first = run_first
        self._task: asyncio.Task | None = None

    async def run_forever(self) -> None:
        if not self.run_first:
            await asyncio.sleep(self.interval_s)
        while True:
            try:
                await self.fn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; will try again", self.name)
            await asyncio.sleep(self.interval_s)

    async def start(self, _app: Any = None) -> None:
        """Start the loop (an `on_started` hook of create_service_app)."""
        if self._task is None:
            self._task = asyncio.create_task(self.run_forever(), name=self.name)

    async def stop(self, _app: Any = None) -> None:
        """Cancel the loop and wait for it (an `on_stopping` hook of create_service_app)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
