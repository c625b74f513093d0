"""Alembic environment: async (asyncpg), URL from SITEGEN_DATABASE_URL or the caller."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import sitegen.db.tables  # noqa: F401  (registers every table on the metadata)
from sitegen.db.engine import make_engine

target_metadata = SQLModel.metadata


def _url() -> str:
    url = context.config.attributes.get("database_url") or os.environ.get("SITEGEN_DATABASE_URL")
    if not url:
        raise SystemExit("set SITEGEN_DATABASE_URL (or run `sitegen migrate`, which starts one)")
    return str(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(_url(), pool_size=1)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    asyncio.run(_run_async())


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported; run against a database")
run_migrations_online()
