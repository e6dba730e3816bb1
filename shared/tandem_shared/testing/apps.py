"""Run a service's app in-process for a test: its lifespan (migrations, consumers, relay,
background jobs) and an httpx client on the ASGI transport.

    async with serving(create_app(settings)) as client: ...
    async with service_under_test(create_app(settings), bootstrap, Service) as service: ...
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

import httpx
from fastapi import FastAPI

from .events import Feeder, wait_until

OPERATOR_KEY = "test-operator-key"


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (lifespan) and a client that calls it; stopped on exit."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


class ServiceUnderTest:
    """A running service, its client, and a Feeder that plays the other services."""

    def __init__(
        self, app: FastAPI, client: httpx.AsyncClient, feeder: Feeder, bootstrap: str
    ) -> None:
        self.app, self.client, self.feeder, self.bootstrap = app, client, feeder, bootstrap

    @property
    def kit(self):
        return self.app.state.kit

    async def known_partner(
        self, probe: str, kind: str = "charity"
    ) -> tuple[uuid.UUID, dict[str, str]]:
        """A registered partner whose key the service already accepts (GET `probe` is 200)."""
        partner_id, key = await self.feeder.register_partner(kind)
        headers = {"Authorization": f"Bearer {key}"}

        async def known():
            return (await self.client.get(probe, headers=headers)).status_code == 200

        await wait_until(known, what="the partner's key to be known")
        return partner_id, headers


S = TypeVar("S", bound=ServiceUnderTest)


@asynccontextmanager
async def service_under_test(
    app: FastAPI, bootstrap: str, cls: type[S] = ServiceUnderTest
) -> AsyncIterator[S]:
    """`cls(app, client, feeder, bootstrap)` for the life of the block."""
    feeder = Feeder(bootstrap)
    await feeder.start()
    try:
        async with serving(app) as client:
            yield cls(app, client, feeder, bootstrap)
    finally:
        await feeder.stop()
