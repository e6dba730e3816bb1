"""Wiring: the messaging kit with its consumers, and the FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tandem_shared.events.topics import APPLICATIONS, RELATIONSHIPS
from tandem_shared.messaging import ConsumerSpec, MessagingKit
from tandem_shared.service import create_service_app
from tandem_shared.service.partner_directory import partner_directory_consumer

from . import handlers
from .api import router
from .jobs import lapse_job
from .models import CREDENTIALS, Base
from .settings import BursariesSettings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def build_kit(settings: BursariesSettings) -> MessagingKit:
    kit = MessagingKit(settings, Base.metadata)
    kit.add_consumer(partner_directory_consumer(settings.service_name, CREDENTIALS))
    kit.add_consumer(
        ConsumerSpec(
            "bursaries.applications",
            [APPLICATIONS.name],
            {
                "application.accepted": handlers.on_application_accepted,
                "participant.erased": handlers.on_participant_erased,
            },
        )
    )
    kit.add_consumer(
        ConsumerSpec(
            "bursaries.relationships",
            [RELATIONSHIPS.name],
            {"match.closed": handlers.on_match_closed},
        )
    )
    return kit


def create_app(settings: BursariesSettings | None = None) -> FastAPI:
    settings = settings or BursariesSettings()
    kit = build_kit(settings)
    lapses = lapse_job(kit, settings.lapse_scan_interval_s)
    app = create_service_app(
        settings,
        kit,
        credentials_table=CREDENTIALS,
        routers=[router],
        migrations=MIGRATIONS_DIR,
        title="Tandem bursaries",
        description="Funds, bursary applications, interviews, awards, payments and lapses.",
        on_started=lapses.start,
        on_stopping=lapses.stop,
    )
    return app
