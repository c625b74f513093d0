"""A rush order jumps the queue: with a backlog of normal orders waiting for a worker that
has one activity slot, the rush order (sent last) runs its first step before any of them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, func, select
from temporalio.client import Client
from temporalio.worker import Worker

from sitegen.db.tables import PipelineStep
from sitegen.settings import Settings
from sitegen.worker import build_clients, build_worker
from tests.api.support import create
from tests.conftest import unique_onboarding, wait_for

BACKLOG = 4


async def _first_step_started(sessions: Any, ids: list[str]) -> dict[str, datetime]:
    async with sessions() as session:
        rows = await session.exec(
            select(PipelineStep.project_id, func.min(PipelineStep.started_at))
            .where(col(PipelineStep.project_id).in_([uuid.UUID(i) for i in ids]))
            .where(col(PipelineStep.started_at).is_not(None))
            .group_by(col(PipelineStep.project_id))
        )
        return {str(project_id): first for project_id, first in rows.all()}


async def test_a_rush_order_runs_before_the_backlog(
    api: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    temporal: Client,
    sessions: Any,
    started: Callable[[str], None],
) -> None:
    # No worker yet: every run's first task waits in the queue, oldest first.
    orders: list[dict[str, Any]] = []
    for priority in ["normal"] * BACKLOG + ["rush"]:
        orders.append(
            await create(
                api,
                onboarding=unique_onboarding("harbour-physio"),
                start_generation=True,
                priority=priority,
            )
        )
        started(orders[-1]["workflow_id"])
    rush = orders[-1]["id"]
    ids = [order["id"] for order in orders]

    # A worker as the deployment's, with one slot for workflow tasks and one for activities.
    # (Built on a queue of its own first: one queue takes one registered worker of a kind.)
    clients = build_clients(settings, engine)
    deployed = build_worker(temporal, clients, settings, f"{settings.task_queue}-template")
    narrow = deployed.config()
    narrow["task_queue"] = settings.task_queue
    narrow["max_concurrent_activities"] = 1
    narrow["max_concurrent_workflow_tasks"] = 1
    async with Worker(**narrow):

        async def all_started() -> dict[str, datetime] | None:
            firsts = await _first_step_started(sessions, ids)
            return firsts if len(firsts) == len(ids) else None

        firsts: dict[str, datetime] = await wait_for(all_started, 120)
        for made in orders:  # enough seen: the worker need not finish their pipelines
            await temporal.get_workflow_handle(made["workflow_id"]).terminate(reason="test over")
    order = sorted(ids, key=lambda i: firsts[i])
    assert order[0] == rush, [("rush" if i == rush else "normal", firsts[i]) for i in order]
