"""`python -m tandem_<svc>` entry point: uvicorn on the service's fixed port."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI

from ..settings import ServiceSettings


def run_service(app: FastAPI, settings: ServiceSettings) -> None:
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s {settings.service_name} %(levelname)s %(message)s"
    )
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_level="info")
