"""Each build attempt's report: the fix loop's history, for the client's agency and the
operator deciding what to do with a build that will not pass."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from sitegen.api.deps import SessionDep, project_or_404
from sitegen.api.schemas import BuildReportPublic
from sitegen.contracts.status import ArtifactType
from sitegen.db import queries

router = APIRouter(tags=["builds"])


@router.get(
    "/projects/{project_id}/builds",
    response_model=list[BuildReportPublic],
    responses={404: {"description": "Not found"}},
)
async def list_builds(project_id: uuid.UUID, session: SessionDep) -> list[BuildReportPublic]:
    """Every build of the project, oldest first (the fix loop's rounds, each revision's)."""
    await project_or_404(session, project_id)
    reports = await queries.artifacts_of(session, project_id, ArtifactType.BUILD_REPORT)
    return [
        BuildReportPublic.model_validate(
            {
                **(r.inline_content or {}),
                "version": r.version,
                "created_at": r.created_at,
                "report_key": r.storage_ref,
                # Reports from before the field: isolated exactly when bwrap ran them.
                "isolated": (r.inline_content or {}).get(
                    "isolated", (r.inline_content or {}).get("sandbox") == "bwrap"
                ),
            }
        )
        for r in reports
        if r.inline_content is not None
    ]
