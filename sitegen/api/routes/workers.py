"""Which workers are serving the deployment: Temporal's own view of the pollers of each task
queue (DescribeTaskQueue), for workflow and activity tasks. Operators only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import PollerInfo, TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from sitegen.api.deps import SettingsDep, TemporalDep
from sitegen.api.errors import Unavailable
from sitegen.api.schemas_jobs import WorkerPublic, WorkersPublic

router = APIRouter(tags=["operators"])

_ERRORS: dict[int | str, dict[str, Any]] = {503: {"description": "Temporal unreachable"}}
_TYPES = {
    "workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
}


def _build_id(poller: PollerInfo) -> str | None:
    found = poller.deployment_options.build_id or poller.worker_version_capabilities.build_id
    return found or None


def _seen(poller: PollerInfo) -> datetime | None:
    if not poller.HasField("last_access_time"):
        return None
    return poller.last_access_time.ToDatetime(tzinfo=UTC)


async def _pollers(client: Client, queue: str, kind: TaskQueueType.ValueType) -> list[PollerInfo]:
    try:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
                task_queue_type=kind,
            )
        )
    except RPCError as exc:
        raise Unavailable(f"Temporal did not describe the task queue ({exc.status.name})") from None
    return list(described.pollers)


@router.get("/workers", response_model=WorkersPublic, responses=_ERRORS)
async def list_workers(client: TemporalDep, settings: SettingsDep) -> WorkersPublic:
    """Every worker polling the deployment's task queue, with what it polls for, its build id
    and its last poll (workers poll continually: a stale one has stopped or lost Temporal)."""
    queues = [settings.task_queue]
    workers: dict[tuple[str, str], WorkerPublic] = {}
    for queue in queues:
        for name, kind in _TYPES.items():
            for poller in await _pollers(client, queue, kind):
                key = (queue, poller.identity)
                seen = _seen(poller)
                known = workers.get(key)
                if known is None:
                    workers[key] = WorkerPublic(
                        identity=poller.identity,
                        task_queue=queue,
                        task_types=[name],
                        last_access_time=seen,
                        build_id=_build_id(poller),
                    )
                    continue
                known.task_types.append(name)
                if seen and (known.last_access_time is None or seen > known.last_access_time):
                    known.last_access_time = seen
                known.build_id = known.build_id or _build_id(poller)
    ordered = sorted(workers.values(), key=lambda w: (w.task_queue, w.identity))
    return WorkersPublic(task_queues=queues, workers=ordered)
