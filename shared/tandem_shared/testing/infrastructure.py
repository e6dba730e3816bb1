"""Find the real infrastructure the tests run against, and fall back in a fixed order.

Broker:   $KAFKA_BOOTSTRAP → testcontainers Kafka (if TANDEM_TEST_CONTAINERS=1 and a Docker
          engine answers) → the embedded Tansu broker on a free port.
Database: $TANDEM_TEST_DATABASE_URL → PostgreSQL at 127.0.0.1:5432 → testcontainers
          PostgreSQL (if a Docker engine answers) → SQLite files.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def docker_engine_answers(timeout_s: float = 1.0) -> bool:
    """Ping the engine (`GET /_ping`): the `docker` CLI exists on machines with no engine."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    request = b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout_s)
            sock.connect(host.removeprefix("unix://"))
        else:
            parsed = urlparse(host)
            sock = socket.create_connection((parsed.hostname, parsed.port or 2375), timeout_s)
        with sock:
            sock.sendall(request)
            return b" 200 " in sock.recv(1024)
    except OSError:
        return False


def postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


class ThrowawayDatabases:
    """Creates uniquely named databases on one PostgreSQL server (or SQLite files)."""

    def __init__(self, admin_url: str | None, sqlite_dir: Path) -> None:
        self.admin_url = admin_url
        self.sqlite_dir = sqlite_dir
        self.created: list[str] = []

    @property
    def backend(self) -> str:
        return "postgresql" if self.admin_url else "sqlite"

    def create(self, label: str = "t") -> str:
        name = f"tandem_{label}_{uuid.uuid4().hex[:10]}"
        if not self.admin_url:
            return f"sqlite+aiosqlite:///{self.sqlite_dir / (name + '.db')}"
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(self.admin_url)
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return admin.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.admin_url:
            return
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(self.admin_url)
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            for name in self.created:
                with contextlib.suppress(Exception):
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


def _libpq(url) -> str:
    parts = [
        f"host={url.host or '127.0.0.1'}",
        f"port={url.port or 5432}",
        f"user={url.username or 'postgres'}",
        f"dbname={url.database or 'postgres'}",
    ]
    if url.password:
        parts.append(f"password={url.password}")
    return " ".join(parts)
