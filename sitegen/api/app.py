"""The FastAPI application: lifespan owns the engine and the one Temporal client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from sitegen.api import errors
from sitegen.api.openapi import document_raw_bodies
from sitegen.api.routes import health, operators, plan, projects, review, templates
from sitegen.contracts.onboarding import Onboarding
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.logging import configure_logging
from sitegen.settings import Settings, get_settings
from sitegen.temporal_client import connect

log = structlog.get_logger()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.database_url is None:
            raise RuntimeError("SITEGEN_DATABASE_URL is not set (`sitegen dev` sets it)")
        engine = make_engine(settings.database_url.get_secret_value())
        app.state.settings = settings
        app.state.sessions = make_sessionmaker(engine)
        app.state.temporal = None
        try:
            app.state.temporal = await asyncio.wait_for(connect(settings), timeout=10)
        except (RuntimeError, OSError, TimeoutError) as exc:
            # The API still serves reads; /healthz and generate say Temporal is down.
            log.warning("api.temporal_unreachable", error=str(exc))
        yield
        await engine.dispose()

    app = FastAPI(
        title="sitegen",
        version="0.1.0",
        summary="Turns a paid order into a live, client-approved website.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(health.router)
    app.include_router(projects.router, prefix="/api/v1")
    app.include_router(review.router, prefix="/api/v1")
    app.include_router(plan.router, prefix="/api/v1")
    app.include_router(operators.router, prefix="/api/v1")
    app.include_router(templates.router, prefix="/api/v1")
    document_raw_bodies(app, {("/api/v1/projects/{project_id}/onboarding", "post"): Onboarding})
    return app
