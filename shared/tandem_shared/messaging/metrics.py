"""The kit's Prometheus metrics. Labels: service, topic, consumer, partition; never a person."""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Gauge, Histogram

OUTBOX_PUBLISHED = Counter(
    "tandem_outbox_published", "Events the outbox relay published.", ["service", "topic"]
)
OUTBOX_PENDING = Gauge("tandem_outbox_pending", "Outbox rows waiting to be published.", ["service"])
OUTBOX_OLDEST_PENDING = Gauge(
    "tandem_outbox_oldest_pending_seconds", "Age of the oldest unpublished outbox row.", ["service"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "tandem_outbox_publish_failures", "Relay batches that failed to publish.", ["service"]
)
HANDLER_FAILURES = Counter(
    "tandem_handler_failures",
    "Handler attempts that raised.",
    ["service", "topic", "consumer"],
)
DEAD_LETTERS = Counter(
    "tandem_dead_letters", "Messages moved to <topic>.dlq.", ["service", "topic", "consumer"]
)
INBOX_DUPLICATES = Counter(
    "tandem_inbox_duplicates", "Redeliveries skipped by the inbox.", ["service", "consumer"]
)
EVENTS_HANDLED = Counter(
    "tandem_events_handled", "Events handled with effect.", ["service", "topic", "consumer"]
)
CONSUMER_LAG = Gauge(
    "tandem_consumer_lag",
    "High watermark minus the consumer's position.",
    ["service", "group", "topic", "partition"],
)
HTTP_REQUESTS = Counter(
    "tandem_http_requests", "HTTP requests.", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "tandem_http_request_duration_seconds",
    "HTTP request latency.",
    ["service", "method", "route"],
)

__all__ = [
    "CONSUMER_LAG",
    "DEAD_LETTERS",
    "EVENTS_HANDLED",
    "HANDLER_FAILURES",
    "HTTP_LATENCY",
    "HTTP_REQUESTS",
    "INBOX_DUPLICATES",
    "OUTBOX_OLDEST_PENDING",
    "OUTBOX_PENDING",
    "OUTBOX_PUBLISHED",
    "OUTBOX_PUBLISH_FAILURES",
    "REGISTRY",
]
