"""GET /metrics: the pipeline's numbers for Prometheus, read from Postgres at each scrape, so
every API process answers the same (scrape any one). The agency's business: operators only,
with an API key as the bearer token (Prometheus's `authorization` scrape option)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from sitegen.api.deps import SessionDep, SettingsDep
from sitegen.db.engine import limit_statement_time
from sitegen.db.metrics import read_snapshot
from sitegen.observability.collector import exposition

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format, or OpenMetrics when the Accept header "
            "asks for it",
            "content": {"text/plain": {}, "application/openmetrics-text": {}},
        },
        503: {"description": "The database is unavailable or too slow to answer now"},
    },
)
async def metrics(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Step durations, outcomes and what is running; projects and revisions by status; AI
    tokens, cost and quotas; the outbox's backlog."""
    await limit_statement_time(session, settings.metrics_query_timeout_seconds)
    snapshot = await read_snapshot(
        session,
        calls_per_hour=settings.rate_ai_calls_per_project_hour,
        default_budget=settings.ai_budget_usd,
    )
    await session.commit()
    body, content_type = exposition(snapshot, request.headers.get("accept"))
    return Response(content=body, media_type=content_type)
