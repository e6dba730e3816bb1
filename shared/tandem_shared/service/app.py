"""One FastAPI app factory for every service: lifecycle, health, metrics, AsyncAPI, limits.

app = create_service_app(settings, kit, routers=[...], migrations=Path(...))
# A `tandem_shared.domain_errors.DomainError` raised anywhere in a route answers
# {"detail": exc.detail} with exc.status_code.
# then `python -m tandem_<svc>` runs it with uvicorn on settings.http_port.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import Table

from ..db.migrations import upgrade_to_head
from ..domain_errors import DomainError
from ..messaging.kit import MessagingKit
from ..messaging.metrics import HTTP_LATENCY, HTTP_REQUESTS
from ..settings import ServiceSettings
from .auth import CurrentPrincipal, Operator

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


def create_service_app(
    settings: ServiceSettings,
    kit: MessagingKit,
    *,
    credentials_table: Table,
    routers: Sequence[APIRouter] = (),
    migrations: Path | None = None,
    title: str | None = None,
    description: str = "",
    on_started: Callable[[FastAPI], Awaitable[None]] | None = None,
    on_stopping: Callable[[FastAPI], Awaitable[None]] | None = None,
) -> FastAPI:
    service = settings.service_name

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if migrations is not None:
            await asyncio.to_thread(upgrade_to_head, migrations, settings.database_url)
        await kit.start()
        if on_started:
            await on_started(app)
        log.info("%s ready on port %d", service, settings.http_port)
        try:
            yield
        finally:
            if on_stopping:  # background jobs end before the kit they write through
                await on_stopping(app)
            await kit.stop()

    app = FastAPI(
        title=title or f"Tandem {service}",
        description=description,
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.kit = kit
    app.state.credentials_table = credentials_table

    @app.middleware("http")
    async def limits_and_metrics(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse(
                {"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413
            )
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")  # the template, never an id
        HTTP_LATENCY.labels(service, request.method, path).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(service, request.method, path, str(response.status_code)).inc()
        return response

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        # A business rule said no: the same answer an HTTPException(status, detail) gives.
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.get("/healthz", tags=["operations"], summary="Liveness and readiness")
    async def healthz() -> JSONResponse:
        # Open, for orchestrator probes; it reveals only ok/error per dependency.
        checks = await kit.health()
        return JSONResponse(checks, status_code=200 if checks["healthy"] else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics (operator key)")
    async def metrics(_: Operator) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi", tags=["operations"], summary="AsyncAPI document (any valid key)")
    async def asyncapi(_: CurrentPrincipal) -> JSONResponse:
        spec = AsyncAPI(kit.broker, title=f"Tandem {service}", version="0.1.0")
        return JSONResponse(spec.to_specification().to_jsonable())

    for router in routers:
        app.include_router(router)
    return app
