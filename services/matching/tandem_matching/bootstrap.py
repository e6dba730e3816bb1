"""Wiring: the kit with matching's consumers, and the FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from tandem_shared.events.topics import APPLICATIONS, PROGRAMMES, RELATIONSHIPS, TRAINING
from tandem_shared.messaging import ConsumerSpec, MessagingKit
from tandem_shared.service import create_service_app
from tandem_shared.service.partner_directory import partner_directory_consumer

from . import handlers
from .api import router
from .models import CREDENTIALS, Base
from .settings import MatchingSettings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def build_kit(settings: MatchingSettings) -> MessagingKit:
    kit = MessagingKit(settings, Base.metadata)
    kit.add_consumer(partner_directory_consumer(settings.service_name, CREDENTIALS))
    kit.add_consumer(
        ConsumerSpec(
            "matching.programmes",
            [PROGRAMMES.name],
            {
                "programme.created": handlers.on_programme_created,
                "cohort.opened": handlers.on_cohort_opened,
            },
        )
    )
    kit.add_consumer(
        ConsumerSpec(
            "matching.applications",
            [APPLICATIONS.name],
            {
                "application.accepted": handlers.on_application_accepted,
                "application.withdrawn": handlers.on_application_withdrawn,
                "participant.erased": handlers.on_participant_erased,
            },
        )
    )
    kit.add_consumer(
        ConsumerSpec(
            "matching.training",
            [TRAINING.name],
            {"mentor.training_completed": handlers.on_training_completed},
        )
    )
    kit.add_consumer(
        ConsumerSpec(
            "matching.relationships",
            [RELATIONSHIPS.name],
            {"match.closed": handlers.on_match_closed},
        )
    )
    return kit


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    settings = settings or MatchingSettings()
    kit = build_kit(settings)
    return create_service_app(
        settings,
        kit,
        credentials_table=CREDENTIALS,
        routers=[router],
        migrations=MIGRATIONS_DIR,
        title="Tandem matching",
        description="Proposes mentor-mentee pairs per cohort; coordinators confirm or reject.",
    )
