"""MessagingKit: what a service holds to talk to Kafka and its database.

kit = MessagingKit(settings, Base.metadata)
kit.add_consumer(ConsumerSpec("matching.applications", [APPLICATIONS.name], handlers={...}))
await kit.start()      # provision topics, start subscribers, relay and lag monitor
async with kit.unit_of_work() as uow: ...
await kit.stop()
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ..db.engine import create_engine, session_factory
from ..settings import ServiceSettings
from .broker import make_broker, make_producer
from .consumer import ConsumerSpec, EventConsumer
from .lag import LagMonitor
from .provisioning import ensure_topics, registry_topics
from .relay import OutboxRelay
from .tables import messaging_tables
from .unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def wire_headers(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    return [("content-type", b"application/json"), *((k, v.encode()) for k, v in headers.items())]


def _raw_records(message: Any, _original_decoder: Any = None) -> Any:
    # The kit parses envelopes itself; skip FastStream's JSON decoding of the body.
    return message.raw_message


class MessagingKit:
    def __init__(
        self,
        settings: ServiceSettings,
        metadata: MetaData,
        *,
        engine: AsyncEngine | None = None,
        broker: KafkaBroker | None = None,
    ) -> None:
        self.settings = settings
        self.service = settings.service_name
        self.tables = messaging_tables(metadata)
        self.engine = engine or create_engine(settings.database_url)
        self.sessions = session_factory(self.engine)
        self.broker = broker or make_broker(settings)
        self.relay = OutboxRelay(
            engine=self.engine,
            tables=self.tables,
            send_many=self.send_many,
            service=self.service,
            batch_size=settings.relay_batch_size,
            idle_poll_s=settings.relay_idle_poll_s,
            max_backoff_s=settings.relay_max_backoff_s,
            sent_retention=timedelta(hours=settings.relay_sent_retention_hours),
        )
        self.consumers: list[tuple[EventConsumer, Any]] = []
        self.lag = LagMonitor(self.service, self._group_consumers, settings.lag_refresh_s)
        self._producer: AIOKafkaProducer | None = None
        self._partitioner = DefaultPartitioner()

    # -- producing -------------------------------------------------------------------------
    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.tables, on_commit=self.relay.wake)

    async def send(
        self, topic: str, key: bytes, value: bytes, headers: dict[str, str]
    ) -> asyncio.Future[Any]:
        """Send one record with acks=all; returns the delivery future (used by relay and DLQ).

        The kit's own producer, not `broker.publish`: FastStream's per-message publish path
        (middlewares, metrics, ids) cost most of the relay's CPU; the relay counts what it
        publishes in `tandem_outbox_published_total` instead.
        """
        if self._producer is None:
            raise RuntimeError("the messaging kit is not started")
        return await self._producer.send(
            topic,
            value,
            key=key,
            headers=[
                ("content-type", b"application/json"),
                *((k, v.encode()) for k, v in headers.items()),
            ],
        )

    async def send_many(
        self, records: Sequence[tuple[str, bytes, bytes, dict[str, str]]]
    ) -> list[asyncio.Future[Any]]:
        """Send records in order as per-partition batches; returns their delivery futures.

        Same partitioner as a plain `send` (murmur2 of the key), so a key always lands on the
        same partition; records of one partition keep their order, one batch after another.
        The relay uses this: it avoids the per-record metadata lookup of `send`.
        """
        if self._producer is None:
            raise RuntimeError("the messaging kit is not started")
        producer = self._producer
        partitions: dict[str, list[int]] = {}
        per_partition: dict[tuple[str, int], list[tuple[bytes, bytes, list]]] = {}
        for topic, key, value, headers in records:
            if topic not in partitions:
                partitions[topic] = sorted(await producer.partitions_for(topic))
            all_partitions = partitions[topic]
            partition = self._partitioner(key, all_partitions, all_partitions)
            per_partition.setdefault((topic, partition), []).append(
                (key, value, wire_headers(headers))
            )
        futures = []
        for (topic, partition), items in per_partition.items():
            batch = producer.create_batch()
            for key, value, headers in items:
                if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                    futures.append(await producer.send_batch(batch, topic, partition=partition))
                    batch = producer.create_batch()
                    batch.append(key=key, value=value, timestamp=None, headers=headers)
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        return futures

    # -- consuming -------------------------------------------------------------------------
    def add_consumer(self, spec: ConsumerSpec) -> EventConsumer:
        s = self.settings
        consumer = EventConsumer(
            spec,
            service=self.service,
            unit_of_work=self.unit_of_work,
            send=self.send,
            max_attempts=s.consumer_max_attempts,
            retry_backoff_s=s.consumer_retry_backoff_s,
        )
        subscriber = self.broker.subscriber(
            *spec.topics,
            group_id=spec.name,
            batch=True,
            max_records=s.consumer_batch_max_records,
            batch_timeout_ms=100,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,  # commit after handling, seek back on error
            session_timeout_ms=s.consumer_session_timeout_ms,
            heartbeat_interval_ms=s.consumer_heartbeat_interval_ms,
            rebalance_timeout_ms=s.consumer_rebalance_timeout_ms,
            decoder=_raw_records,
            title=spec.name,
        )

        @subscriber
        async def handle(records: Any) -> None:
            await consumer.handle_records(records)

        self.consumers.append((consumer, subscriber))
        return consumer

    def _group_consumers(self) -> Iterable[tuple[str, Any]]:
        for consumer, subscriber in self.consumers:
            yield consumer.spec.name, getattr(subscriber, "consumer", None)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, *, provision: bool = True) -> None:
        if provision:
            await asyncio.to_thread(
                ensure_topics,
                self.settings.kafka_bootstrap,
                registry_topics(),
                replication_factor=self.settings.topic_replication_factor,
            )
        self._producer = make_producer(self.settings)
        await self._producer.start()
        await self._start_broker()
        self.relay.start()
        self.lag.start()

    async def _start_broker(self) -> None:
        """`KafkaBroker.start()`, but joining the consumer groups concurrently.

        FastStream starts subscribers one after another and each waits for its group join
        (seconds each), so a service with five consumers would take five joins to start.
        """
        await self.broker.connect()
        await asyncio.gather(*(sub.start() for sub in self.broker.subscribers))
        for publisher in self.broker.publishers:
            await publisher.start()
        self.broker.running = True

    async def stop(self) -> None:
        await self.lag.stop()
        await self.relay.stop()
        await self.broker.stop()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        await self.engine.dispose()

    async def health(self) -> dict[str, Any]:
        """Database and broker reachability, for /healthz."""
        checks: dict[str, Any] = {}
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        try:
            ok = await self.broker.ping(timeout=2.0)
            checks["broker"] = "ok" if ok else "error: no answer"
        except Exception as exc:
            checks["broker"] = f"error: {type(exc).__name__}"
        checks["healthy"] = all(v == "ok" for k, v in checks.items())
        return checks
