"""Why a step failed, in one answer for an operator: the step's row (status, error, retries,
the operator's last decision), the artifact it wrote, the AI requests it made, and the log it
stored (a build's output, from its report in storage). The agency's alone: build logs and raw
errors are its workings, not the client's business."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from sitegen.api.deps import SessionDep, project_or_404
from sitegen.api.errors import ApiError
from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.status import ArtifactType, StepStatus
from sitegen.db import step_logs
from sitegen.db.tables import Artifact
from sitegen.integrations.storage.base import ObjectNotFound, Storage, StorageError

router = APIRouter(tags=["operators"])
log = structlog.get_logger()


class StepArtifact(BaseModel):
    type: ArtifactType
    version: int
    storage_ref: str
    file_size: int | None
    mime_type: str | None
    created_at: datetime | None


class StepAICall(BaseModel):
    attempt: int
    ai_step: str
    model: str
    status: str = Field(description="reserved, paid, rejected, failed or unknown")
    error: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    created_at: datetime | None


class StepLogs(BaseModel):
    project_id: uuid.UUID
    step_key: str
    status: StepStatus
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: Decimal | None
    retry_count: int = Field(description="Temporal's retries of the last run (attempt - 1)")
    error_message: str | None
    error_details: dict[str, Any] | None
    details: dict[str, Any] | None = Field(description="what the step reported")
    decision: dict[str, Any] | None = Field(description="the operator's last decision")
    output_ref: str | None
    logs_ref: str | None
    artifact: StepArtifact | None = Field(description="the artifact output_ref names, if any")
    build_report: dict[str, Any] | None = Field(
        default=None, description="the build report the step wrote, without its log"
    )
    log: str | None = Field(default=None, description="the step's stored log, its end if long")
    log_ref: str | None = Field(default=None, description="the storage key the log came from")
    log_omitted_chars: int = Field(default=0, description="characters cut from the log's start")
    log_unavailable: str | None = Field(
        default=None, description="why a log the step stored could not be read"
    )
    ai_calls: list[StepAICall] = Field(default_factory=list, description="the latest, oldest first")


class _StepNotRun(ApiError):
    def __init__(self, step: StepKey) -> None:
        super().__init__(404, f"step '{step.value}' has not run in this project", "step_key")


async def _stored_log(storage: Storage, key: str, is_report: bool) -> tuple[str | None, Any]:
    """The log text under `key` (a build report's `log` field, or plain text), and the rest
    of the report."""
    data = await storage.get(key)
    if not is_report:
        return data.decode("utf-8", errors="replace"), None
    report = json.loads(data)
    if not isinstance(report, dict):
        raise ValueError("the build report is not a JSON object")
    text = report.pop("log", None)
    return (str(text) if text is not None else None), report


@router.get(
    "/projects/{project_id}/pipeline/{step_key}/logs",
    response_model=StepLogs,
    responses={
        404: {"description": "Unknown project, or a step that has not run in it"},
        422: {"description": "Not a pipeline step"},
    },
)
async def step_logs_of(
    project_id: uuid.UUID,
    step_key: StepKey,
    request: Request,
    session: SessionDep,
    log_chars: Annotated[
        int, Query(ge=0, le=2_000_000, description="at most this much of the log, its end")
    ] = 100_000,
) -> StepLogs:
    """One step of a project: what its row, its artifact, its AI requests and its stored
    log say about how it went."""
    await project_or_404(session, project_id)
    row = await step_logs.step_row(session, project_id, step_key.value)
    if row is None:
        raise _StepNotRun(step_key)
    artifact: Artifact | None = None
    if row.output_ref:
        artifact = await step_logs.artifact_at(session, project_id, row.output_ref)
    calls = await step_logs.ai_calls_of(session, project_id, step_key.value)
    await session.commit()  # the reads are done: storage may be slow, the pool waits for none
    answer = StepLogs.model_validate(
        {
            **row.model_dump(exclude={"id", "step_order", "created_at", "updated_at"}),
            "artifact": artifact.model_dump() if artifact else None,
            "ai_calls": [c.model_dump() for c in calls],
        }
    )
    is_report = artifact is not None and artifact.type == ArtifactType.BUILD_REPORT
    key = row.logs_ref or (artifact.storage_ref if is_report and artifact else None)
    if key is None:
        return answer
    if is_report and artifact is not None and artifact.inline_content is not None:
        answer.build_report = artifact.inline_content
    storage: Storage = request.app.state.storage
    try:
        text, report = await _stored_log(storage, key, is_report and not row.logs_ref)
    except ObjectNotFound:
        answer.log_unavailable = f"{key} is not in storage"
    except StorageError as exc:
        # Down or refused: the rest of the answer still helps; say what is missing and why.
        log.warning("step_logs.storage_unavailable", error_type=type(exc).__name__)
        answer.log_unavailable = f"storage could not be read ({type(exc).__name__})"
    except ValueError:
        answer.log_unavailable = f"{key} is not a readable build report"
    else:
        answer.build_report = report if report is not None else answer.build_report
        answer.log_ref = key
        if text is not None:
            answer.log_omitted_chars = max(len(text) - log_chars, 0)
            answer.log = text[answer.log_omitted_chars :]
    return answer
