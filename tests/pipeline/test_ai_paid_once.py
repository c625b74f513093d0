"""A worker killed (SIGKILL) right after a paid Claude call was recorded, before its
activity could report: the retried step reads the stored answer and does not pay again."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from sitegen.db.tables import AICall
from sitegen.failpoints import AFTER_AI_CALL
from sitegen.settings import Settings
from tests.conftest import unique_onboarding, wait_for
from tests.fakes.anthropic import FakeAnthropic
from tests.pipeline.claude import claude_env
from tests.pipeline.helpers import order_site, wait_status
from tests.worker_process import WorkerProcess, worker_env


@pytest.mark.chaos  # workers killed and waited for: in `make chaos`
async def test_a_paid_call_is_not_paid_again_after_the_worker_dies(
    api: httpx.AsyncClient,
    settings: Settings,
    sessions: Any,
    fake_anthropic: FakeAnthropic,
    tmp_path: Path,
) -> None:
    worker = WorkerProcess(worker_env(settings, **claude_env(fake_anthropic)), tmp_path / "w.log")
    worker.start(SITEGEN_FAILPOINT=AFTER_AI_CALL)
    try:
        created = await order_site(api, unique_onboarding("harbour-physio"))

        async def died() -> bool:
            return not worker.alive()

        await wait_for(died, 60)
        # The site spec was answered (and recorded as paid), then the worker died.
        assert fake_anthropic.tools_called() == ["submit_site_spec"]
        worker.start()  # the step is retried once the dead attempt's heartbeat lapses
        project = await wait_status(api, created["id"], seconds=180)
        assert project["status"] == "preview_ready", project
    finally:
        worker.stop()

    tools = fake_anthropic.tools_called()
    assert tools.count("submit_site_spec") == 1, tools  # read back, not asked again
    async with sessions() as session:
        calls = (
            await session.exec(select(AICall).where(AICall.project_id == uuid.UUID(created["id"])))
        ).all()
    assert len(calls) == len(tools) and {c.status for c in calls} == {"paid"}
    spec = [c for c in calls if c.pipeline_step == "create_site_spec"]
    assert len(spec) == 1 and spec[0].attempt == 1
    costs = (await api.get(f"/api/v1/projects/{created['id']}/costs")).json()
    assert costs["calls"] == len(tools)
