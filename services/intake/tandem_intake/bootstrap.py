"""Wiring: the messaging kit, the vault and the FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from tandem_shared.messaging import MessagingKit
from tandem_shared.service import create_service_app
from tandem_shared.service.partner_directory import partner_directory_consumer

from .api import ROUTERS
from .domain import InvalidTransition, RuleViolation
from .models import CREDENTIALS, Base
from .personal_data import Vault
from .settings import IntakeSettings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def build_kit(settings: IntakeSettings) -> MessagingKit:
    kit = MessagingKit(settings, Base.metadata)
    kit.add_consumer(partner_directory_consumer(settings.service_name, CREDENTIALS))
    return kit


async def rule_violation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RuleViolation)
    detail = [
        {"loc": ["body", p.field], "msg": p.message, "type": "rule_violation"} for p in exc.problems
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def invalid_transition(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidTransition)
    return JSONResponse(
        {"detail": str(exc), "from": exc.current, "to": exc.target},
        status_code=status.HTTP_409_CONFLICT,
    )


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    vault = Vault.from_setting(settings.encryption_key)
    app = create_service_app(
        settings,
        build_kit(settings),
        credentials_table=CREDENTIALS,
        routers=ROUTERS,
        migrations=MIGRATIONS_DIR,
        title="Tandem intake",
        description=(
            "Partners, programmes, cohorts, applications and referrals, screening decisions, "
            "and the participants' personal data (encrypted, erasable)."
        ),
    )
    app.state.vault = vault
    app.add_exception_handler(RuleViolation, rule_violation)
    app.add_exception_handler(InvalidTransition, invalid_transition)
    return app
