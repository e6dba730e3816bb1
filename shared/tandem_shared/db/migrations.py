"""Alembic, one history per service, run at start-up (as the full-stack FastAPI template does).

A service's `migrations/env.py` is two lines: import its metadata, call `run_env(metadata)`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, engine_from_config, pool

from .engine import sync_url


def alembic_config(script_location: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return cfg


def upgrade_to_head(script_location: Path, database_url: str) -> None:
    command.upgrade(alembic_config(script_location, database_url), "head")


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's env.py: online migrations, batch mode for SQLite."""
    cfg = context.config
    if context.is_offline_mode():
        context.configure(
            url=cfg.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(
        cfg.get_section(cfg.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
