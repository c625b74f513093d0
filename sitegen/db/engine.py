"""The async engine and sessions (asyncpg). One engine per process, built from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from sitegen.db import tenancy  # noqa: F401  (its listener scopes every API transaction)

# What activities and stores are given: a factory of sessions, one per unit of work.
Sessions = async_sessionmaker[AsyncSession]


def to_async_url(url: str) -> str:
    """Accept plain postgres:// URLs (what operators paste) and point them at asyncpg."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("database URL must start with postgresql:// or postgres://")


def make_engine(url: str, pool_size: int = 5) -> AsyncEngine:
    # pool_pre_ping: a pooled connection that died with a crashed (and restarted) Postgres is
    # found and replaced when it is checked out, instead of failing the first query after the
    # outage. It costs one short round trip per checkout.
    return create_async_engine(
        to_async_url(url), pool_size=pool_size, max_overflow=5, pool_pre_ping=True
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with sessions() as session, session.begin():
        yield session


async def limit_statement_time(session: AsyncSession, seconds: float) -> None:
    """From here to the end of the session's transaction, Postgres cancels a statement that
    runs longer than `seconds` (a read that must not hold a connection while the database
    is slow or a table locked). Opens the transaction when none is open."""
    await session.execute(
        text("SELECT set_config('statement_timeout', :ms, true)"),
        {"ms": str(max(1, round(seconds * 1000)))},
    )
