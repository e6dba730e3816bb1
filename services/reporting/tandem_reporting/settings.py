"""Reporting settings: env prefix TANDEM_REPORTING_, HTTP port 8005."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tandem_shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_REPORTING_", extra="ignore")

    service_name: str = "reporting"
    http_port: int = 8005
    database_url: str = "sqlite+aiosqlite:///var/reporting.db"
    # How often the Prometheus snapshot of the impact figures is refreshed from the tables.
    metrics_refresh_s: float = Field(default=5.0, gt=0)
