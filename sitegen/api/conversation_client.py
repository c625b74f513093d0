"""Talking to a project's conversation workflow: each call an update-with-start, so the
first message starts the conversation and any later one finds it; every way it can go
wrong turned into an answer the caller can act on (never a 500)."""

from __future__ import annotations

from typing import TypeVar

import structlog
from pydantic import BaseModel
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from sitegen.api.errors import ApiError, Conflict, Unavailable
from sitegen.api.messages import UPDATE_TIMEOUT
from sitegen.contracts.conversation import (
    UPDATE_CONFIRM,
    UPDATE_MESSAGE,
    WORKFLOW_NAME,
    ConfirmPlan,
    ConfirmResult,
    ConversationInput,
    SendMessage,
    TurnReply,
    workflow_id_for,
)
from sitegen.db.tables import Project
from sitegen.settings import Settings

log = structlog.get_logger()

R = TypeVar("R", bound=BaseModel)


def _start(project: Project, settings: Settings) -> WithStartWorkflowOperation[None, None]:
    return WithStartWorkflowOperation(
        WORKFLOW_NAME,
        ConversationInput(
            project_id=str(project.id),
            template_id=project.template_id,
            history_limit=settings.workflow_history_limit,
        ),
        id=workflow_id_for(project.id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # Names only: what the client says stays in the (encrypted) payloads.
        static_summary=f"Conversation · {project.name} · {project.slug}"[:200],
    )


async def send_message(
    client: Client, settings: Settings, project: Project, message: SendMessage
) -> TurnReply:
    # Each request its own update: the workflow answers a key it has seen (or is answering)
    # with the first answer, marked as replayed, across continue-as-new as well.
    return await _update(client, settings, project, UPDATE_MESSAGE, message, TurnReply, None)


async def confirm(
    client: Client, settings: Settings, project: Project, form: ConfirmPlan
) -> ConfirmResult:
    return await _update(client, settings, project, UPDATE_CONFIRM, form, ConfirmResult, "confirm")


async def _update(
    client: Client,
    settings: Settings,
    project: Project,
    update: str,
    arg: BaseModel,
    result_type: type[R],
    update_id: str | None,
) -> R:
    try:
        result: R = await client.execute_update_with_start_workflow(
            update,
            arg,
            start_workflow_operation=_start(project, settings),
            id=update_id,
            result_type=result_type,
            rpc_timeout=UPDATE_TIMEOUT,
        )
        return result
    except WorkflowUpdateFailedError as exc:
        raise _refusal(exc, update) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise Unavailable(
            "the conversation did not answer in time; send the same message again "
            "(with the same Idempotency-Key) shortly"
        ) from None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise Unavailable("Temporal is not reachable; try again shortly") from None
        raise Unavailable(f"Temporal refused the request ({exc.status.name}); try again") from None


def _refusal(error: BaseException, update: str) -> ApiError:
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.__cause__ or getattr(cause, "cause", None)
    if isinstance(cause, ApplicationError) and cause.type == "ValueError":
        # The conversation's phase does not allow it: a conflict, with the phase named.
        return Conflict(cause.message, "phase")
    # Accepted, then failed inside (the AI or the database, after its retries).
    log.warning("api.conversation_update_failed", update=update)
    return Unavailable("the conversation could not answer just now; send it again shortly")
