"""The lapse scan: awards whose course did not start by `start_by` lapse; money returns.

Run by the background loop (every `lapse_scan_interval_s`) and by `POST /lapses/scan`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date

from fastapi import FastAPI
from sqlalchemy import select

from tandem_shared.db import utcnow
from tandem_shared.events import EventEnvelope
from tandem_shared.events.bursaries import BursaryLapsed
from tandem_shared.messaging import MessagingKit

from . import domain
from .handlers import SERVICE
from .models import BursaryApplication, Fund

log = logging.getLogger(__name__)


async def scan_lapses(kit: MessagingKit, today: date | None = None) -> list[domain.Lapse]:
    today = today or utcnow().date()
    async with kit.unit_of_work() as uow:
        s = uow.session
        candidates = list(
            await s.scalars(
                select(BursaryApplication)
                .where(
                    BursaryApplication.status == domain.AWARDED,
                    BursaryApplication.course_started_on.is_(None),
                    BursaryApplication.start_by < today,
                )
                .order_by(BursaryApplication.fund_id)
                .with_for_update(skip_locked=True)
            )
        )
        found = domain.lapses(
            (
                domain.OpenAward(
                    application_id=a.application_id,
                    fund_id=a.fund_id,
                    status=a.status,
                    start_by=a.start_by,
                    course_started_on=a.course_started_on,
                    awarded_pence=a.awarded_pence or 0,
                    paid_pence=sum((a.paid_by_category or {}).values()),
                )
                for a in candidates
                if a.start_by is not None
            ),
            today,
        )
        by_id = {a.application_id: a for a in candidates}
        for lapse in found:  # ordered by fund: locks are always taken in the same order
            fund = await s.scalar(
                select(Fund).where(Fund.fund_id == lapse.fund_id).with_for_update()
            )
            application = by_id[lapse.application_id]
            fund.committed_pence -= lapse.returned_pence
            application.status = domain.LAPSED
            application.lapsed_on = today
            application.returned_pence = lapse.returned_pence
            uow.emit(
                EventEnvelope.wrap(
                    BursaryLapsed(
                        bursary_application_id=application.application_id,
                        fund_id=fund.fund_id,
                        returned_pence=lapse.returned_pence,
                        fund_remaining_pence=fund.remaining_pence,
                    ),
                    producer=SERVICE,
                    partner_id=application.partner_id,
                    subject_id=application.application_id,
                    programme_id=application.programme_id,
                    cohort_id=application.cohort_id,
                )
            )
        await uow.commit()
    return found


async def lapse_loop(kit: MessagingKit, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            found = await scan_lapses(kit)
            if found:
                log.info("lapse scan lapsed %d award(s)", len(found))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("lapse scan failed; will try again")


async def start_lapse_loop(app: FastAPI) -> None:
    app.state.lapse_task = asyncio.create_task(
        lapse_loop(app.state.kit, app.state.settings.lapse_scan_interval_s),
        name="bursaries.lapse_loop",
    )


async def stop_lapse_loop(app: FastAPI) -> None:
    task: asyncio.Task | None = getattr(app.state, "lapse_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        app.state.lapse_task = None
