"""FastAPI dependencies: settings, a session per request, and the shared Temporal client."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from sitegen.api.errors import NotFound
from sitegen.api.temporal_link import TemporalLink
from sitegen.db import queries, tenancy
from sitegen.db.errors import database_unavailable
from sitegen.db.tables import Project
from sitegen.settings import Settings


# Async, as every dependency here: FastAPI runs a plain `def` one on a worker thread, a hop
# that costs more than the lookup.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session. Reads need nothing more. A route that writes commits before it
    answers (never in this dependency's exit, which runs after the response has started),
    so a commit that fails is the route's error and never a success that did not happen."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    session = sessions()
    try:
        yield session
    finally:
        try:
            await session.close()
        except Exception as exc:
            # The answer is out already; a connection lost meanwhile is the pool's to drop.
            if not database_unavailable(exc):
                raise


def open_session(request: Request, scope: tenancy.Scope) -> AsyncSession:
    """A session of its own (for a unit of work apart from the request's), seeing what
    `scope` may see."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    session = sessions()
    tenancy.bind(session, scope)
    return session


def caller_scope(request: Request) -> tenancy.Scope:
    """The signed-in caller's scope (set by sitegen/api/principal.py), or none at all."""
    principal = getattr(request.state, "principal", None)
    return principal.scope if principal is not None else tenancy.NOBODY


async def get_temporal(request: Request) -> Client:
    """The Temporal client, reconnecting after an outage; a 503 while it cannot."""
    link: TemporalLink = request.app.state.temporal
    return await link.client()


async def project_or_404(
    session: AsyncSession, project_id: uuid.UUID, *, release: bool = True
) -> Project:
    """The project, or a 404. `release=False` is for routes that only read the database:
    their next reads share this transaction (each new one is a pool checkout, a liveness
    ping, BEGIN and the tenant's scope: round trips that were most of a read's cost)."""
    project = await queries.get_project(session, project_id)
    if release:
        # End the read's transaction: the connection goes back to the pool before the route
        # waits on Temporal (up to its update timeout), so a slow worker never starves it.
        await session.commit()
    if project is None:
        raise NotFound("project")
    return project


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
