"""Settings every service shares; each service subclasses with its own env prefix.

Example: `class IntakeSettings(ServiceSettings)` with
`model_config = SettingsConfigDict(env_prefix="TANDEM_INTAKE_")` reads
`TANDEM_INTAKE_DATABASE_URL`, `TANDEM_INTAKE_KAFKA_BOOTSTRAP`, …
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_OPERATOR_KEY = "dev-operator-key"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    service_name: str = "tandem"
    environment: Literal["dev", "production"] = "dev"
    database_url: str = Field(
        default="sqlite+aiosqlite:///var/tandem.db",
        description="SQLAlchemy async URL: postgresql+psycopg://… or sqlite+aiosqlite:///…",
    )
    kafka_bootstrap: str = "127.0.0.1:9092"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    operator_key: str = Field(default=DEV_OPERATOR_KEY, min_length=8)

    # Topic provisioning.
    topic_replication_factor: int = Field(default=1, ge=1)
    # Consumers: commit after handling; a message that fails this often goes to <topic>.dlq.
    consumer_max_attempts: int = Field(default=3, ge=1, le=20)
    consumer_retry_backoff_s: float = Field(default=0.05, ge=0)
    consumer_batch_max_records: int = Field(default=500, ge=1)
    consumer_session_timeout_ms: int = Field(default=10_000, ge=1000)
    consumer_heartbeat_interval_ms: int = Field(default=1_000, ge=100)
    consumer_rebalance_timeout_ms: int | None = None
    # Outbox relay.
    relay_batch_size: int = Field(default=500, ge=1)
    relay_idle_poll_s: float = Field(default=0.2, gt=0)
    relay_max_backoff_s: float = Field(default=5.0, gt=0)
    relay_sent_retention_hours: float = Field(default=24 * 7, gt=0)
    # Consumer lag gauge refresh.
    lag_refresh_s: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Self:
        if self.environment == "production" and self.operator_key == DEV_OPERATOR_KEY:
            raise ValueError("the operator key must be set (not the dev default) in production")
        return self
