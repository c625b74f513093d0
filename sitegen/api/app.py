"""The FastAPI application: lifespan owns the engine and the one Temporal client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from sitegen.api import errors
from sitegen.api.errors import Unavailable
from sitegen.api.limits import BodyLimits
from sitegen.api.openapi import document_raw_bodies
from sitegen.api.routes import (
    assets,
    builds,
    codec,
    costs,
    health,
    onboarding_link,
    operators,
    payments,
    plan,
    projects,
    review,
    templates,
)
from sitegen.api.temporal_link import TemporalLink
from sitegen.contracts.onboarding import Onboarding
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.integrations import providers
from sitegen.logging import configure_logging
from sitegen.settings import Settings, get_settings

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
        app.state.temporal = TemporalLink(settings)
        # Uploaded images go to the same storage the worker reads them from.
        app.state.storage = providers.make_storage(settings)
        # Connect now if Temporal is there; if not, the first request that needs it tries
        # again (the API still serves reads, and says 503 for what needs Temporal).
        with contextlib.suppress(Unavailable):
            await app.state.temporal.client()
        yield
        close = getattr(app.state.storage, "aclose", None)
        if close is not None:
            await close()
        await engine.dispose()

    app = FastAPI(
        title="sitegen",
        version="0.1.0",
        summary="Turns a paid order into a live, client-approved website.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(
        BodyLimits,
        max_bytes=settings.api_max_body_bytes,
        max_depth=settings.api_max_json_depth,
        max_upload_bytes=settings.asset_max_bytes,
    )
    app.include_router(health.router)
    app.include_router(projects.router, prefix="/api/v1")
    app.include_router(review.router, prefix="/api/v1")
    app.include_router(plan.router, prefix="/api/v1")
    app.include_router(operators.router, prefix="/api/v1")
    app.include_router(templates.router, prefix="/api/v1")
    app.include_router(builds.router, prefix="/api/v1")
    app.include_router(costs.router, prefix="/api/v1")
    app.include_router(payments.router, prefix="/api/v1")
    app.include_router(onboarding_link.router, prefix="/api/v1")
    app.include_router(assets.router, prefix="/api/v1")
    app.include_router(codec.router, prefix="/api/v1")
    document_raw_bodies(app, {("/api/v1/projects/{project_id}/onboarding", "post"): Onboarding})
    return app
