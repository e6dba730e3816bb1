"""The lapse scan: awards whose course did not start by `start_by` lapse; money returns.

Run by the background loop (every `lapse_scan_interval_s`) and by `POST /lapses/scan`.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select

from tandem_shared.db import utcnow
from tandem_shared.events import EventEnvelope
from tandem_shared.events.bursaries import BursaryLapsed
from tandem_shared.messaging import MessagingKit
from tandem_shared.service import PeriodicJob

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


async def scan_and_log(kit: MessagingKit) -> None:
    found = await scan_lapses(kit)
    if found:
        log.info("lapse scan lapsed %d award(s)", len(found))


def lapse_job(kit: MessagingKit, interval_s: float) -> PeriodicJob:
    """The background loop: a scan every `interval_s` for the life of the app."""
    return PeriodicJob("lapse scan", interval_s, lambda: scan_and_log(kit))
