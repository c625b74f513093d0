"""The fix loop stops early when more rounds cannot help: a fix that changes nothing (the
same findings twice in a row), or a build stopped by a sandbox limit (no patch can fix it).
Either way an operator decides at once, told why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from sitegen.contracts.pipeline import PipelineState
from sitegen.settings import Settings
from sitegen.worker import build_clients, build_worker
from tests.conftest import unique_onboarding
from tests.pipeline.helpers import keep_history, order_site, slow_template, wait_status
from tests.pipeline.test_fix_loop import BreakingAI


async def operator_asked(api: httpx.AsyncClient, temporal: Client, created: dict[str, Any]) -> str:
    """The build step's error once the run waits for an operator, having spent no rounds
    beyond the ones that could help."""
    await wait_status(api, created["id"], ("needs_attention",), seconds=90)
    state = await temporal.get_workflow_handle(created["workflow_id"]).query(
        "state", result_type=PipelineState
    )
    assert state.waiting_for == "operator decision on build_and_test"
    steps = {
        s["step_key"]: s
        for s in (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    }
    assert steps["build_and_test"]["status"] == "failed"
    return str(steps["build_and_test"]["error_message"])


async def order_with(
    ai: BreakingAI,
    api: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    temporal: Client,
    history: str,
) -> tuple[dict[str, Any], str]:
    """An order built by a worker with this AI until an operator is asked, who then aborts:
    the project, and the build step's error as the operator saw it. The run's history is
    kept under `history` for the replay test."""
    clients = build_clients(settings, engine)
    clients.ai = ai
    async with build_worker(temporal, clients, settings, settings.task_queue):
        created = await order_site(api, unique_onboarding("ironbark-software"))
        error = await operator_asked(api, temporal, created)
        aborted = await api.post(
            f"/api/v1/projects/{created['id']}/steps/build_and_test/abort",
            json={"decided_by": "test"},
        )
        assert aborted.status_code == 200, aborted.text
        await wait_status(api, created["id"], ("cancelled",))
    await keep_history(temporal, created["workflow_id"], history)
    return created, error


async def test_a_fix_that_changes_nothing_stops_the_loop(
    api: httpx.AsyncClient, settings: Settings, engine: AsyncEngine, temporal: Client
) -> None:
    ai = BreakingAI(bad_fixes=99, repeating=True)
    created, error = await order_with(
        ai, api, settings, engine, temporal, "life_fix_loop_stops_no_progress"
    )
    assert "same findings" in error
    assert len(ai.fix_logs) == 1  # one fix round of the three allowed, then it stopped
    builds = (await api.get(f"/api/v1/projects/{created['id']}/builds")).json()
    assert [b["ok"] for b in builds] == [False, False]  # the first build and one fix


async def test_a_build_stopped_by_a_sandbox_limit_gets_no_fix_round(
    api: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    temporal: Client,
    sessions: Any,
    tmp_path: Path,
) -> None:
    slow = settings.model_copy(
        update={
            "templates_dir": slow_template(tmp_path / "templates", 30),
            "build_timeout_seconds": 5,
        }
    )
    ai = BreakingAI()
    created, error = await order_with(
        ai, api, slow, engine, temporal, "life_fix_loop_stops_at_sandbox_limit"
    )
    assert "sandbox limit" in error
    assert ai.fix_logs == []  # no patch can make a build faster than its limit
    builds = (await api.get(f"/api/v1/projects/{created['id']}/builds")).json()
    assert [(b["limit"], b["timed_out"], b["ok"], b["isolated"]) for b in builds] == [
        ("time", True, False, True)
    ]
