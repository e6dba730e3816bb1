"""pytest plugin (loaded from pyproject's addopts): real broker and database fixtures."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, overload

import pytest

from ..embedded_broker import EmbeddedBroker
from ..settings import ServiceSettings
from .infrastructure import (
    LOCAL_POSTGRES,
    ThrowawayDatabases,
    docker_engine_answers,
    postgres_reachable,
)

log = logging.getLogger(__name__)


# Short consumer-group timeouts so joins take ~1-2 s on Tansu; quick relay and lag polls.
TEST_TIMEOUTS = dict(
    consumer_session_timeout_ms=3_000,
    consumer_heartbeat_interval_ms=300,
    consumer_rebalance_timeout_ms=3_000,
    consumer_retry_backoff_s=0.01,
    relay_idle_poll_s=0.05,
    relay_max_backoff_s=1.0,
    lag_refresh_s=0.5,
)

S = TypeVar("S", bound=ServiceSettings)


@overload
def settings_for_tests(
    service: str, database_url: str, bootstrap: str, **overrides: Any
) -> ServiceSettings: ...


@overload
def settings_for_tests(
    service: str, database_url: str, bootstrap: str, *, settings_class: type[S], **overrides: Any
) -> S: ...


def settings_for_tests(
    service: str,
    database_url: str,
    bootstrap: str,
    *,
    settings_class: type[ServiceSettings] = ServiceSettings,
    **overrides: Any,
) -> ServiceSettings:
    """Settings tuned for tests (TEST_TIMEOUTS), of `settings_class` (a service's own)."""
    values: dict[str, Any] = dict(
        service_name=service, database_url=database_url, kafka_bootstrap=bootstrap
    )
    values.update(TEST_TIMEOUTS)
    values.update(overrides)
    return settings_class(**values)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory) -> Iterator[str]:
    if bootstrap := os.environ.get("KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    if os.environ.get("TANDEM_TEST_CONTAINERS") == "1" and docker_engine_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as kafka:
            yield kafka.get_bootstrap_server()
        return
    log_path = tmp_path_factory.mktemp("tansu") / "tansu.log"
    with EmbeddedBroker(log_path=log_path) as broker:
        yield broker.bootstrap


@pytest.fixture
def embedded_broker_factory(tmp_path) -> Iterator[Callable[..., EmbeddedBroker]]:
    """Private brokers a test may stop and restart (broker-outage tests)."""
    started: list[EmbeddedBroker] = []

    def make(port: int | None = None) -> EmbeddedBroker:
        broker = EmbeddedBroker(port=port, log_path=tmp_path / "tansu.log").start()
        started.append(broker)
        return broker

    yield make
    for broker in started:
        broker.stop()


@pytest.fixture(scope="session")
def throwaway_databases(tmp_path_factory) -> Iterator[ThrowawayDatabases]:
    admin_url = os.environ.get("TANDEM_TEST_DATABASE_URL")
    container = None
    if not admin_url and postgres_reachable():
        admin_url = LOCAL_POSTGRES
    if not admin_url and docker_engine_answers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver="psycopg").start()
        admin_url = container.get_connection_url()
    dbs = ThrowawayDatabases(admin_url, tmp_path_factory.mktemp("sqlite"))
    yield dbs
    dbs.drop_all()
    if container is not None:
        container.stop()


@pytest.fixture
def database_url(throwaway_databases) -> str:
    """A fresh, empty database for this test."""
    return throwaway_databases.create()


@pytest.fixture
def unique() -> str:
    """A short unique token for topic and group names."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(params=["server", "sqlite"])
def each_database_url(request, throwaway_databases, tmp_path) -> str:
    """Runs the test twice: on the database server (PostgreSQL) and on SQLite."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'kit.db'}"
    if throwaway_databases.backend == "sqlite":
        pytest.skip("no database server here: the sqlite run covers this test")
    return throwaway_databases.create()
