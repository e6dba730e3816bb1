"""Intake's settings: env prefix TANDEM_INTAKE_, port 8001, and the personal-data master key."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from tandem_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_INTAKE_", extra="ignore")

    service_name: str = "intake"
    http_port: int = 8001
    database_url: str = "sqlite+aiosqlite:///var/intake.db"
    encryption_key: str | None = Field(
        default=None,
        description=(
            "Fernet master key that wraps every participant's data key. Several keys may be "
            "given comma-separated (first encrypts, all decrypt) to rotate. Required in "
            "production; in dev, a fixed and publicly known dev-only key is used instead."
        ),
    )

    @model_validator(mode="after")
    def _production_needs_a_key(self) -> IntakeSettings:
        if self.environment == "production" and not self.encryption_key:
            raise ValueError("TANDEM_INTAKE_ENCRYPTION_KEY must be set in production")
        return self
