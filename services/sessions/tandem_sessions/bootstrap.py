"""Wiring: the messaging kit with its consumers, and the FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tandem_shared.events.topics import APPLICATIONS, MATCHES, PROGRAMMES
from tandem_shared.messaging import ConsumerSpec, MessagingKit
from tandem_shared.service import create_service_app
from tandem_shared.service.partner_directory import partner_directory_consumer

from . import handlers
from .api import router
from .jobs import at_risk_job
from .models import CREDENTIALS, Base
from .settings import SessionsSettings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def build_kit(settings: SessionsSettings) -> MessagingKit:
    kit = MessagingKit(settings, Base.metadata)
    kit.add_consumer(partner_directory_consumer(settings.service_name, CREDENTIALS))
    kit.add_consumer(
        ConsumerSpec(
            "sessions.programmes",
            [PROGRAMMES.name],
            {"programme.created": handlers.on_programme_created},
        )
    )
    kit.add_consumer(
        ConsumerSpec(
            "sessions.applications",
            [APPLICATIONS.name],
            {
                "application.accepted": handlers.on_application_accepted,
                "participant.erased": handlers.on_participant_erased,
            },
        )
    )
    kit.add_consumer(
        ConsumerSpec("sessions.matches", [MATCHES.name], {"match.made": handlers.on_match_made})
    )
    return kit


def create_app(settings: SessionsSettings | None = None) -> FastAPI:
    settings = settings or SessionsSettings()
    kit = build_kit(settings)
    at_risk = at_risk_job(kit, settings.at_risk_scan_interval_s)
    app = create_service_app(
        settings,
        kit,
        credentials_table=CREDENTIALS,
        routers=[router],
        migrations=MIGRATIONS_DIR,
        title="Tandem sessions",
        description="Mentor training, meetings, risk flags, closure, surveys and outcomes.",
        on_started=at_risk.start,
        on_stopping=at_risk.stop,
    )
    return app
