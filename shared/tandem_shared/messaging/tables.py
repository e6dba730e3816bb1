"""The kit's own tables, added to each service's metadata: outbox and inbox.

Core tables, not ORM classes: the relay and the inbox work in bulk statements.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)

from ..db.types import UTCDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """Define (once per metadata) the outbox and inbox tables."""
    if "outbox" in metadata.tables:
        return MessagingTables(metadata.tables["outbox"], metadata.tables["inbox"])
    outbox = Table(
        "outbox",
        metadata,
        # The id orders publication: rows of one key are published in insertion order.
        Column("id", _BigId, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("sent_at", UTCDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
    )
    Index(
        "ix_outbox_unsent",
        outbox.c.id,
        postgresql_where=outbox.c.sent_at.is_(None),
        sqlite_where=outbox.c.sent_at.is_(None),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("handled_at", UTCDateTime, nullable=False),
    )
    return MessagingTables(outbox, inbox)
