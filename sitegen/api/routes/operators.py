"""Operators in control: retry, skip or abort a step that failed for good. The decision goes
to the workflow (which checks the step is really waiting) and is recorded on the step."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter

from sitegen.api.deps import SessionDep, TemporalDep, project_or_404
from sitegen.api.messages import send_update
from sitegen.api.schemas import DecisionCreate, DecisionPublic
from sitegen.contracts.operator import DecisionAccepted, FailureAction, OperatorDecision
from sitegen.contracts.pipeline import StepKey

router = APIRouter(tags=["operators"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown project"},
    409: {"description": "The step is not waiting for a decision, or cannot be skipped"},
    422: {"description": "Unknown step or action"},
    503: {"description": "Temporal unreachable"},
}


@router.post(
    "/projects/{project_id}/steps/{step_key}/{action}",
    response_model=DecisionPublic,
    responses=_ERRORS,
)
async def decide(
    project_id: uuid.UUID,
    step_key: StepKey,
    action: Literal["retry", "skip", "abort"],
    session: SessionDep,
    client: TemporalDep,
    body: DecisionCreate | None = None,
) -> DecisionPublic:
    project = await project_or_404(session, project_id)
    body = body or DecisionCreate()
    accepted = await send_update(
        client,
        project,
        "resolve_failure",
        OperatorDecision(
            step=step_key, action=FailureAction(action), decided_by=body.decided_by, note=body.note
        ),
        DecisionAccepted,
        refusal_status=409,
    )
    return DecisionPublic(step=accepted.step.value, action=accepted.action.value)
