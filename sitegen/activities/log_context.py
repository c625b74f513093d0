"""Every log line an activity writes names its project, workflow and step: bound as structlog
context variables where each activity starts (a worker interceptor, so no activity can
forget), and the step again where a tracked step begins (StepTracker.track).

Each activity runs in a task of its own, with a copy of the worker's context: what is bound
here stays with that activity and never reaches another running beside it."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)


def project_of(arg: Any) -> uuid.UUID | None:
    """The project an activity's one input is about: its `project_id`, or its project
    reference's (ProjectRef, or a model holding one as `project`)."""
    found = getattr(arg, "project_id", None)
    if found is None:
        found = getattr(getattr(arg, "project", None), "project_id", None)
    return found if isinstance(found, uuid.UUID) else None


def bind_step(step: str) -> None:
    structlog.contextvars.bind_contextvars(step=step)


class _BindIds(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        project_id = project_of(input.args[0]) if input.args else None
        step = getattr(input.args[0], "step", None) if input.args else None
        structlog.contextvars.bind_contextvars(
            project_id=str(project_id) if project_id else None,
            workflow_id=info.workflow_id,
            # The pipeline step a bookkeeping activity is about (StepMark, AttentionNeeded),
            # else the activity itself (most are named after their step).
            step=str(getattr(step, "value", step) or info.activity_type),
            activity=info.activity_type,
            attempt=info.attempt,
        )
        return await super().execute_activity(input)


class ActivityLogContext(Interceptor):
    """Registered on the worker (worker.py): binds the ids before every activity runs."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _BindIds(next)
