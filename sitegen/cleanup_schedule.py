"""The deployment's cleanup schedule, made or brought up to date by every worker at start.

A Temporal Schedule (id `{task_queue}-cleanup`: `sitegen-cleanup` by default) starts a
`CleanupWorkflow` every SITEGEN_CLEANUP_INTERVAL_MINUTES with the rules' current settings.
Creating it when it exists updates it instead, so however many workers start, there is one
schedule, and it carries the settings of the last one started. An interval of 0 deletes it.
A run still going when the next is due makes that one skip (the default overlap policy).
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from sitegen.contracts.cleanup import CleanupInput, cleanup_schedule_id
from sitegen.settings import Settings
from sitegen.workflows.cleanup import CleanupWorkflow

log = structlog.get_logger()


def cleanup_input(settings: Settings) -> CleanupInput:
    return CleanupInput(
        cancelled_preview_days=settings.cleanup_cancelled_preview_days,
        build_dir_days=settings.cleanup_build_dir_days,
        conversation_days=settings.cleanup_conversation_days,
    )


def cleanup_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            CleanupWorkflow.run,
            cleanup_input(settings),
            # Each run's id is this plus the time it was due: one cleanup_run row per run.
            id=cleanup_schedule_id(settings.task_queue),
            task_queue=settings.task_queue,
            # A run that cannot finish in this long is stuck: the next one starts afresh.
            execution_timeout=timedelta(hours=1),
            static_summary="Removes old previews of cancelled projects, build folders and "
            "abandoned conversations",
        ),
        spec=ScheduleSpec(
            intervals=[
                ScheduleIntervalSpec(every=timedelta(minutes=settings.cleanup_interval_minutes))
            ]
        ),
    )


async def ensure_cleanup_schedule(client: Client, settings: Settings) -> str | None:
    """The schedule's id, made or updated; None when the interval is 0 (it is deleted)."""
    schedule_id = cleanup_schedule_id(settings.task_queue)
    if settings.cleanup_interval_minutes == 0:
        try:
            await client.get_schedule_handle(schedule_id).delete()
            log.info("cleanup.schedule_deleted", schedule_id=schedule_id)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
        return None
    wanted = cleanup_schedule(settings)
    try:
        await client.create_schedule(schedule_id, wanted)
        log.info("cleanup.schedule_created", schedule_id=schedule_id)
    except ScheduleAlreadyRunningError:

        def update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            # Its state (paused by an operator, a note) stays as the operator left it.
            return ScheduleUpdate(schedule=_kept_state(wanted, _))

        await client.get_schedule_handle(schedule_id).update(update)
        log.info("cleanup.schedule_updated", schedule_id=schedule_id)
    return schedule_id


def _kept_state(wanted: Schedule, current: ScheduleUpdateInput) -> Schedule:
    return Schedule(
        action=wanted.action,
        spec=wanted.spec,
        policy=current.description.schedule.policy,
        state=current.description.schedule.state,
    )


async def ensure_cleanup_schedule_or_warn(client: Client, settings: Settings) -> None:
    """At a worker's start: a schedule Temporal refuses (a namespace without the permission)
    is logged, and the worker serves all the same; the next worker to start tries again."""
    try:
        await ensure_cleanup_schedule(client, settings)
    except RPCError as exc:
        log.warning("cleanup.schedule_not_made", status=exc.status.name, error=str(exc)[:200])
