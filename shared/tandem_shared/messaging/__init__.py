"""Messaging kit: outbox, relay, inbox, dead letters, lag, provisioning, health."""

from .consumer import ConsumerSpec, EventConsumer, PoisonMessage
from .kit import MessagingKit
from .provisioning import ensure_topics, registry_topics
from .relay import OutboxRelay
from .tables import MessagingTables, messaging_tables
from .unit_of_work import UnitOfWork

__all__ = [
    "ConsumerSpec",
    "EventConsumer",
    "MessagingKit",
    "MessagingTables",
    "OutboxRelay",
    "PoisonMessage",
    "UnitOfWork",
    "ensure_topics",
    "messaging_tables",
    "registry_topics",
]
