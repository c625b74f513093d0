"""Talking to a project's running workflow: updates and signals by name, with every way it
can go wrong turned into an answer the caller can act on (never a 500)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from sitegen.api.delayed_start import start_delay
from sitegen.api.errors import ApiError, Conflict, Unavailable
from sitegen.contracts.review import REFUSAL_FIELDS
from sitegen.contracts.status import ProjectStatus
from sitegen.db.tables import Project

log = structlog.get_logger()

R = TypeVar("R", bound=BaseModel)

# Refusals of the operator-decision and plan validators are conflicts with the run's state.
_CONFLICT_TYPES = {"ValueError"}
# Long enough for an update that waits on a plan change; short enough that a request with
# no worker to answer it gets a clear 503 instead of hanging.
UPDATE_TIMEOUT = timedelta(seconds=30)
SIGNAL_TIMEOUT = timedelta(seconds=10)


class Refused(ApiError):
    """The workflow's validator said no: 422 naming the field, with the workflow's reason."""

    def __init__(self, field: str, reason: str, status: int = 422) -> None:
        super().__init__(status, reason, field)


def _reason(error: BaseException) -> tuple[str | None, str]:
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.__cause__ or getattr(cause, "cause", None)
    if isinstance(cause, ApplicationError):
        return cause.type, cause.message
    return None, str(error)


async def send_update(
    client: Client,
    project: Project,
    update: str,
    arg: BaseModel,
    result_type: type[R],
    *,
    update_id: str | None = None,
    refusal_status: int = 422,
) -> R:
    """Run an update on the project's workflow and return its result."""
    if project.workflow_id is None:
        raise Conflict("the project has no generation run yet")
    if project.status == ProjectStatus.PENDING and start_delay(project) is not None:
        # Its run waits for its start time; an update would wait with it (until a timeout).
        assert project.scheduled_start is not None
        when = project.scheduled_start.isoformat(timespec="minutes")
        raise Conflict(f"the project starts at {when}; it takes this once it has started")
    handle = client.get_workflow_handle(project.workflow_id)
    try:
        return await handle.execute_update(
            update, arg, id=update_id, result_type=result_type, rpc_timeout=UPDATE_TIMEOUT
        )
    except WorkflowUpdateFailedError as exc:
        kind, reason = _reason(exc)
        if kind in _CONFLICT_TYPES:
            raise Conflict(reason) from None
        if kind in REFUSAL_FIELDS:
            raise Refused(REFUSAL_FIELDS[kind], reason, refusal_status) from None
        # Accepted, then failed inside (the database, say): not the caller's fault, and
        # the inner error is not theirs to read.
        log.warning("api.update_failed", update=update, error_type=kind)
        raise Unavailable("the project could not take this right now; try again shortly") from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise Unavailable("the project's run did not answer in time; try again shortly") from None
    except RPCError as exc:
        raise _rpc_problem(exc, project) from None


async def send_signal(client: Client, project: Project, signal: str, arg: Any) -> bool:
    """Signal the project's run; False when it has none running (never started, or ended)."""
    if project.workflow_id is None:
        return False
    try:
        await client.get_workflow_handle(project.workflow_id).signal(
            signal, arg, rpc_timeout=SIGNAL_TIMEOUT
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise _rpc_problem(exc, project) from None
    return True


def _rpc_problem(exc: RPCError, project: Project) -> ApiError:
    if exc.status == RPCStatusCode.NOT_FOUND:
        # No run, or it has ended: the project's status says why.
        return Conflict(f"the project is {project.status}; its run is not active")
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return Unavailable("Temporal is not reachable; try again shortly")
    return Unavailable(f"Temporal refused the request ({exc.status.name}); try again shortly")
