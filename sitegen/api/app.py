"""The FastAPI application: lifespan owns the engine and the one Temporal client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from sitegen import portal
from sitegen.api import errors
from sitegen.api.errors import Unavailable
from sitegen.api.limits import BodyLimits
from sitegen.api.openapi import document_raw_bodies
from sitegen.api.principal import OPERATORS, SIGNED_IN
from sitegen.api.routes import (
    analytics,
    assets,
    auth,
    builds,
    cleanup,
    codec,
    conversation,
    costs,
    design,
    events,
    health,
    history,
    metrics,
    onboarding_link,
    operators,
    payments,
    personas,
    plan,
    projects,
    review,
    step_logs,
    templates,
    users,
    workers,
)
from sitegen.api.temporal_link import TemporalLink
from sitegen.contracts.onboarding import Onboarding
from sitegen.db import tenancy
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.db.errors import database_unavailable
from sitegen.integrations import providers
from sitegen.logging import configure_logging
from sitegen.settings import Settings, get_settings

log = structlog.get_logger()
_SIGNED_IN: dict[int | str, dict[str, str]] = {
    401: {"description": "Not signed in, or the credential does not hold"},
    403: {"description": "Signed in, but not allowed to do this"},
}


def _api_database_url(settings: Settings) -> str:
    """The API's own role; it never needs the owner's URL when it is given its own."""
    if settings.api_database_url is not None:
        return settings.api_database_url.get_secret_value()
    if settings.database_url is None:
        raise RuntimeError(
            "set SITEGEN_API_DATABASE_URL (or SITEGEN_DATABASE_URL on the local stack, "
            "which `sitegen dev` sets)"
        )
    return tenancy.app_role_url(settings.database_url.get_secret_value())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(_api_database_url(settings))
        tenancy.guard_connections(engine)
        app.state.settings = settings
        app.state.sessions = make_sessionmaker(engine)
        try:
            async with app.state.sessions() as session:
                await tenancy.check_app_role(session)
        except Exception as exc:
            # Checked when Postgres is there; if it is not, requests answer 503 until it is.
            if not database_unavailable(exc):
                raise
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
        uploads_per_form={"/portal/start/": portal.IMAGES_PER_FORM},
    )
    # Open to anyone: health, sign-in, and what carries its own proof (a Stripe signature,
    # an onboarding link's).
    app.include_router(health.router)
    for public in (auth.router, payments.router, onboarding_link.router):
        app.include_router(public, prefix="/api/v1")
    # Signed in: a client reaches its own customer's projects, the agency every one.
    for signed_in in (projects, review, plan, history, templates, assets, events, conversation):
        app.include_router(
            signed_in.router, prefix="/api/v1", dependencies=SIGNED_IN, responses=_SIGNED_IN
        )
    app.include_router(
        design.router, prefix="/api/v1", dependencies=SIGNED_IN, responses=_SIGNED_IN
    )
    # The agency's alone.
    # Build reports hold the agency's workings (sandbox, logs), not the client's business.
    for agency in (operators, costs, builds, analytics, step_logs, workers, cleanup):
        app.include_router(
            agency.router, prefix="/api/v1", dependencies=OPERATORS, responses=_SIGNED_IN
        )
    # Who the AI is at each step and on whose account: the agency's to decide.
    app.include_router(
        personas.router, prefix="/api/v1", dependencies=OPERATORS, responses=_SIGNED_IN
    )
    # Where Prometheus looks by default; its counts are the agency's business too.
    app.include_router(metrics.router, dependencies=OPERATORS, responses=_SIGNED_IN)
    app.include_router(users.router, prefix="/api/v1", responses=_SIGNED_IN)
    app.include_router(codec.router, prefix="/api/v1")
    # The browser's pages: the client portal and the operator console.
    portal.install(app)
    document_raw_bodies(app, {("/api/v1/projects/{project_id}/onboarding", "post"): Onboarding})
    return app
