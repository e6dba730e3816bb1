"""Database kit: declarative base, portable types, engines and per-service migrations."""

from .base import IdMixin, ServiceBase, TimestampMixin, new_metadata, utcnow
from .engine import create_engine, is_sqlite, session_factory, sync_url
from .rows import get_or_add
from .types import UTCDateTime

__all__ = [
    "IdMixin",
    "ServiceBase",
    "TimestampMixin",
    "UTCDateTime",
    "create_engine",
    "get_or_add",
    "is_sqlite",
    "new_metadata",
    "session_factory",
    "sync_url",
    "utcnow",
]
