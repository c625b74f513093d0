"""Orders that start later and rush orders: the options their run starts with, the check
of a requested start time, and cancelling a run before it has started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import Priority
from temporalio.service import RPCError, RPCStatusCode

from sitegen.api.errors import Unavailable
from sitegen.contracts.scheduling import priority_key
from sitegen.contracts.status import ProjectStatus
from sitegen.db import queries
from sitegen.db.tables import Project


def start_at_problem(start_at: datetime | None, max_days: int, now: datetime) -> str | None:
    """Why a requested start time cannot be used, or None when it can."""
    if start_at is None:
        return None
    if start_at <= now:
        return "must be in the future"
    if start_at - now > timedelta(days=max_days):
        return f"must be at most {max_days} days ahead"
    return None


def start_delay(project: Project, now: datetime | None = None) -> timedelta | None:
    """How long its run waits before it starts: until its scheduled start, if still ahead."""
    if project.scheduled_start is None:
        return None
    wait = project.scheduled_start - (now or datetime.now(UTC))
    return wait if wait > timedelta(0) else None


def run_priority(project: Project) -> Priority:
    return Priority(priority_key=priority_key(project.priority))


async def _not_started(client: Client, workflow_id: str) -> bool:
    """True when the project's run exists, is waiting for its delayed start, and none of its
    code has run yet (no workflow task has started)."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        description = await handle.describe()
        if description.status != WorkflowExecutionStatus.RUNNING:
            return False
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                return False
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise Unavailable("Temporal is not reachable; try again shortly") from None
    return True


async def cancel_before_start(client: Client, session: AsyncSession, project: Project) -> bool:
    """Cancel a project whose run waits for its scheduled start: that run is terminated (it
    has done nothing) and the project reads cancelled. False when there is no such run; the
    caller then cancels as it does any project. Under the row lock `generate` takes."""
    if project.status != ProjectStatus.PENDING or project.scheduled_start is None:
        return False
    if project.workflow_id is None or not await _not_started(client, project.workflow_id):
        return False
    locked = await queries.get_project_for_update(session, project.id)
    if locked is None or locked.status != ProjectStatus.PENDING:
        return False
    try:
        await client.get_workflow_handle(project.workflow_id).terminate(
            reason="cancelled before its scheduled start"
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise Unavailable("Temporal is not reachable; try again shortly") from None
    locked.status = ProjectStatus.CANCELLED
    session.add(locked)
    await session.commit()
    return True
