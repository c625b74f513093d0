"""The periodic cleanup's record: what each run removed, and any rule that failed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from sitegen.api.deps import SessionDep
from sitegen.api.schemas_jobs import CleanupRunPublic
from sitegen.db import cleanup

router = APIRouter(tags=["operators"])


@router.get("/cleanup-runs", response_model=list[CleanupRunPublic])
async def list_cleanup_runs(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[CleanupRunPublic]:
    """The latest runs first."""
    return [
        CleanupRunPublic.model_validate(run, from_attributes=True)
        for run in await cleanup.list_runs(session, limit)
    ]
