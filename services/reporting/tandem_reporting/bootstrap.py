"""Wiring: one projection consumer over every registry topic, the API and the gauges."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tandem_shared.events import ALL_TOPICS
from tandem_shared.messaging import ConsumerSpec, MessagingKit
from tandem_shared.service import PeriodicJob, create_service_app
from tandem_shared.service.partner_directory import partner_directory_consumer

from . import metrics, queries
from .api import router
from .handlers import HANDLERS
from .models import CREDENTIALS, Base
from .rebuild import PROJECTIONS
from .settings import ReportingSettings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def build_kit(settings: ReportingSettings) -> MessagingKit:
    kit = MessagingKit(settings, Base.metadata)
    kit.add_consumer(partner_directory_consumer(settings.service_name, CREDENTIALS))
    kit.add_consumer(ConsumerSpec(PROJECTIONS, [t.name for t in ALL_TOPICS], dict(HANDLERS)))
    return kit


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    kit = build_kit(settings)
    metrics.register_collector()

    async def load():
        async with kit.sessions() as session:
            return await queries.gauge_rows(session)

    snapshot = PeriodicJob(
        "impact snapshot refresh",
        settings.metrics_refresh_s,
        lambda: metrics.refresh(load),
        run_first=True,  # gauges from the start, not one interval later
    )

    return create_service_app(
        settings,
        kit,
        credentials_table=CREDENTIALS,
        routers=[router],
        migrations=MIGRATIONS_DIR,
        title="Tandem reporting",
        description="Programme figures per partner, programme and cohort, built from events.",
        on_started=snapshot.start,
        on_stopping=snapshot.stop,
    )
