"""Topic provisioning with kafka-python's admin client: idempotent, at start-up.

Tansu and Kafka auto-create unknown topics with default partitions on publish, which would
silently change per-key ordering guarantees; so every topic and its DLQ is created explicitly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from ..events.topics import ALL_TOPICS, dead_letter_topic

log = logging.getLogger(__name__)


def registry_topics(dlq_partitions: int = 1) -> list[tuple[str, int]]:
    """Every registry topic with its partitions, and its DLQ."""
    topics = []
    for spec in ALL_TOPICS:
        topics.append((spec.name, spec.partitions))
        topics.append((dead_letter_topic(spec.name), dlq_partitions))
    return topics


def ensure_topics(
    bootstrap: str,
    topics: Iterable[tuple[str, int]],
    *,
    replication_factor: int = 1,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create missing topics; returns the names created. Retries until the broker answers."""
    wanted = dict(topics)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap,
                client_id="tandem-provisioner",
                request_timeout_ms=10_000,
            )
            break
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("provisioning: broker not ready (%s); retrying", exc)
            time.sleep(0.5)
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=parts, replication_factor=replication_factor)
            for name, parts in sorted(wanted.items())
            if name not in existing
        ]
        created = []
        for topic in missing:  # one by one: a concurrent creator must not fail the others
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass
        if created:
            log.info("provisioned topics: %s", ", ".join(created))
        return created
    finally:
        admin.close()
