"""Matching settings: env prefix TANDEM_MATCHING_, HTTP port 8002."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tandem_shared.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_MATCHING_", extra="ignore")

    service_name: str = "matching"
    http_port: int = 8002
    database_url: str = "sqlite+aiosqlite:///var/matching.db"
