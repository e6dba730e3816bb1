"""The one way to build a Kafka broker in Tandem."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, CollectorRegistry

from ..settings import ServiceSettings

# Plain producer with acks=all: Tansu rejects idempotent producers (InitProducerId); ordering
# per partition holds because aiokafka keeps one batch in flight per partition.
PRODUCER_SETTINGS = dict(
    acks="all", enable_idempotence=False, linger_ms=5, request_timeout_ms=15_000
)


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    """The producer the outbox relay and dead-lettering use."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=f"tandem-{settings.service_name}-relay",
        max_batch_size=1024 * 1024,
        **PRODUCER_SETTINGS,
    )


def make_broker(settings: ServiceSettings, registry: CollectorRegistry = REGISTRY) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=f"tandem-{settings.service_name}",
        **PRODUCER_SETTINGS,
        allow_auto_create_topics=False,
        middlewares=[
            KafkaPrometheusMiddleware(
                registry=registry, app_name=settings.service_name, metrics_prefix="tandem"
            )
        ],
        logger=logging.getLogger(f"tandem.{settings.service_name}.broker"),
        log_level=logging.DEBUG,
        graceful_timeout=15,
    )
