"""Settings of the sessions service (env prefix TANDEM_SESSIONS_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tandem_shared.settings import ServiceSettings


class SessionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_SESSIONS_", extra="ignore")

    service_name: str = "sessions"
    http_port: int = 8003
    database_url: str = "sqlite+aiosqlite:///var/sessions.db"
    # How often the background loop looks for matches with no recent meeting.
    at_risk_scan_interval_s: float = Field(default=3600.0, gt=0)
