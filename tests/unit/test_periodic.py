"""The kit's PeriodicJob, as the services' background scans use it: it runs the scan every
interval, survives a failing run, and stops with the app."""

from __future__ import annotations

import asyncio

import pytest

from tandem_bursaries import jobs as bursaries_jobs
from tandem_sessions import jobs as sessions_jobs
from tandem_shared.service import PeriodicJob


@pytest.mark.parametrize(
    ("module", "scan", "make_job"),
    [
        (bursaries_jobs, "scan_lapses", bursaries_jobs.lapse_job),
        (sessions_jobs, "scan_at_risk", sessions_jobs.at_risk_job),
    ],
    ids=["bursaries-lapses", "sessions-at-risk"],
)
async def test_the_loop_scans_every_interval_and_keeps_going_after_errors(
    monkeypatch, module, scan, make_job
):
    calls = []
    third = asyncio.Event()

    async def fake_scan(kit, today=None):
        calls.append(kit)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        if len(calls) == 3:
            third.set()
        return []

    monkeypatch.setattr(module, scan, fake_scan)
    job = make_job("kit", 0.01)
    await job.start()
    try:
        await asyncio.wait_for(third.wait(), timeout=10)
    finally:
        await job.stop()
    assert calls[:3] == ["kit", "kit", "kit"]
    settled = len(calls)
    await asyncio.sleep(0.05)
    assert len(calls) == settled  # stopped: no more runs


async def test_run_first_runs_at_start_and_the_default_waits_one_interval():
    runs: dict[str, int] = {"first": 0, "later": 0}

    async def bump(key: str) -> None:
        runs[key] += 1

    first = PeriodicJob("first", 60, lambda: bump("first"), run_first=True)
    later = PeriodicJob("later", 60, lambda: bump("later"))
    await first.start()
    await later.start()
    await asyncio.sleep(0.05)
    await first.stop()
    await later.stop()
    assert runs == {"first": 1, "later": 0}
