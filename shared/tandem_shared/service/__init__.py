"""What every service's HTTP side shares: the app factory, authentication, dependencies."""

from .app import create_service_app
from .auth import (
    CurrentPrincipal,
    Operator,
    Partner,
    Principal,
    Role,
    credentials_table,
    hash_api_key,
    new_api_key,
    upsert_credentials,
)
from .dependencies import (
    Body,
    Coordinator,
    Kit,
    UoW,
    conflict,
    get_kit,
    not_found,
    require_coordinator,
    today,
    unit_of_work,
)
from .periodic import PeriodicJob

__all__ = [
    "Body",
    "Coordinator",
    "CurrentPrincipal",
    "Kit",
    "Operator",
    "Partner",
    "PeriodicJob",
    "Principal",
    "Role",
    "UoW",
    "conflict",
    "create_service_app",
    "credentials_table",
    "get_kit",
    "hash_api_key",
    "new_api_key",
    "not_found",
    "require_coordinator",
    "today",
    "unit_of_work",
    "upsert_credentials",
]
