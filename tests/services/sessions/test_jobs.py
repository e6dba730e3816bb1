"""The at-risk background loop: runs the scan every interval and survives a failing scan."""

from __future__ import annotations

import asyncio
import contextlib

from tandem_sessions import jobs


async def test_the_loop_scans_every_interval_and_keeps_going_after_errors(monkeypatch):
    calls = []
    third = asyncio.Event()

    async def fake_scan(kit, today=None):
        calls.append(kit)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        if len(calls) == 3:
            third.set()
        return []

    monkeypatch.setattr(jobs, "scan_at_risk", fake_scan)
    task = asyncio.create_task(jobs.at_risk_loop("kit", 0.01))
    try:
        await asyncio.wait_for(third.wait(), timeout=10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert calls[:3] == ["kit", "kit", "kit"]
