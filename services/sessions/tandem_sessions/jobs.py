"""The at-risk scan: one unit of work that flags newly at-risk matches and emits match.at_risk.

Run by the background loop (every `at_risk_scan_interval_s`) and by `POST /at-risk/scan`.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select

from tandem_shared.db import utcnow
from tandem_shared.events import EventEnvelope
from tandem_shared.events.sessions import MatchAtRisk
from tandem_shared.messaging import MessagingKit
from tandem_shared.service import PeriodicJob

from . import domain
from .handlers import SERVICE
from .models import Match, Programme

log = logging.getLogger(__name__)

DEFAULT_AT_RISK_AFTER_WEEKS = 4


async def scan_at_risk(kit: MessagingKit, today: date | None = None) -> list[domain.AtRisk]:
    today = today or utcnow().date()
    async with kit.unit_of_work() as uow:
        rows = (
            await uow.session.execute(
                select(Match, Programme.at_risk_after_weeks)
                .outerjoin(Programme, Programme.programme_id == Match.programme_id)
                .where(Match.status == domain.ACTIVE, Match.at_risk_since.is_(None))
                # Lock the candidates; a concurrent scan skips them instead of double-flagging.
                .with_for_update(of=Match, skip_locked=True)
            )
        ).all()
        matches = {m.match_id: m for m, _ in rows}
        found = domain.matches_at_risk(
            (
                domain.ActiveMatch(
                    match_id=m.match_id,
                    started_on=m.started_on,
                    last_met_on=m.last_met_on,
                    at_risk_after_weeks=weeks or DEFAULT_AT_RISK_AFTER_WEEKS,
                    flagged=m.at_risk_since is not None,
                )
                for m, weeks in rows
            ),
            today,
        )
        for risk in found:
            match = matches[risk.match_id]
            match.at_risk_since = today
            uow.emit(
                EventEnvelope.wrap(
                    MatchAtRisk(
                        match_id=risk.match_id,
                        last_met_on=risk.last_met_on,
                        weeks_without_meeting=risk.weeks_without_meeting,
                    ),
                    producer=SERVICE,
                    partner_id=match.partner_id,
                    subject_id=match.match_id,
                    programme_id=match.programme_id,
                    cohort_id=match.cohort_id,
                )
            )
        await uow.commit()
    return found


async def scan_and_log(kit: MessagingKit) -> None:
    found = await scan_at_risk(kit)
    if found:
        log.info("at-risk scan flagged %d match(es)", len(found))


def at_risk_job(kit: MessagingKit, interval_s: float) -> PeriodicJob:
    """The background loop: a scan every `interval_s` for the life of the app."""
    return PeriodicJob("at-risk scan", interval_s, lambda: scan_and_log(kit))
