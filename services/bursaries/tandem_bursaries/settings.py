"""Settings of the bursaries service (env prefix TANDEM_BURSARIES_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tandem_shared.settings import ServiceSettings


class BursariesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_BURSARIES_", extra="ignore")

    service_name: str = "bursaries"
    http_port: int = 8004
    database_url: str = "sqlite+aiosqlite:///var/bursaries.db"
    # How often the background loop lapses awards whose course did not start in time.
    lapse_scan_interval_s: float = Field(default=3600.0, gt=0)
