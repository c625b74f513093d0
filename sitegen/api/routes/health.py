"""Liveness that means something: the database answers and Temporal answers."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from sitegen.api.schemas import Health
from sitegen.api.temporal_link import TemporalLink

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
async def healthz(request: Request) -> JSONResponse:
    database = temporal = "ok"
    try:
        async with request.app.state.sessions() as session:
            await asyncio.wait_for(session.exec(text("SELECT 1")), timeout=3)
    except Exception:  # any failure means "not healthy"; the reason is not for the public
        database = "unavailable"
    link: TemporalLink = request.app.state.temporal
    try:
        client = await link.client()  # reconnects after an outage
        await asyncio.wait_for(client.service_client.check_health(), timeout=3)
    except Exception:  # any failure means "not healthy"; the reason is not for the public
        temporal = "unavailable"
    ok = database == temporal == "ok"
    body = Health(status="ok" if ok else "degraded", database=database, temporal=temporal)
    return JSONResponse(status_code=200 if ok else 503, content=body.model_dump())
