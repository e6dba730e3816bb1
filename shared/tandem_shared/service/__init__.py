"""What every service's HTTP side shares: the app factory and authentication."""

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

__all__ = [
    "CurrentPrincipal",
    "Operator",
    "Partner",
    "Principal",
    "Role",
    "create_service_app",
    "credentials_table",
    "hash_api_key",
    "new_api_key",
    "upsert_credentials",
]
