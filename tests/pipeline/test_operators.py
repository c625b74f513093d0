"""Operators in control: a step that failed for good waits for retry, skip or abort from the
API (the same decision the Temporal UI can send), and who decided is kept on the step."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from sitegen.contracts.site import BriefResult, CodePatchResult, LayoutPlan, SiteContent, SiteSpec
from sitegen.integrations.ai.offline import OfflineAI
from sitegen.integrations.git.local import LocalGit
from sitegen.settings import Settings
from sitegen.templates_registry import TemplateManifest
from sitegen.worker import build_clients, build_worker
from tests.conftest import unique_onboarding, wait_for
from tests.pipeline.helpers import order_site, wait_status, wait_step
from tests.pipeline.test_fix_loop import BreakingAI


class FailingBriefAI(OfflineAI):
    """The brief fails for good (a non-retryable error) the first `failures` times."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def brief(self, spec: SiteSpec) -> BriefResult:
        self.calls += 1
        if self.calls <= self.failures:
            raise ApplicationError("the model refused", type="InvalidInput", non_retryable=True)
        return await super().brief(spec)


class GatedFixAI(BreakingAI):
    """Breaks the first build; its fix waits for the test to open the gate."""

    def __init__(self) -> None:
        super().__init__(bad_fixes=0)
        self.gate = asyncio.Event()

    async def fix_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
        build_log: str,
    ) -> CodePatchResult:
        await self.gate.wait()
        return await super().fix_patch(spec, content, layout, files, template, build_log)


@pytest.fixture
async def with_ai(settings: Settings, engine: AsyncEngine, temporal: Client) -> AsyncIterator[Any]:
    """Run a worker with the AI a test brings."""
    started: list[Any] = []

    async def start(ai: OfflineAI) -> None:
        clients = build_clients(settings, engine)
        clients.ai = ai
        worker = build_worker(temporal, clients, settings, settings.task_queue)
        await worker.__aenter__()
        started.append(worker)

    yield start
    for worker in started:
        await worker.__aexit__(None, None, None)


async def steps_of(api: httpx.AsyncClient, project_id: str) -> dict[str, dict[str, Any]]:
    rows = (await api.get(f"/api/v1/projects/{project_id}/pipeline")).json()
    return {s["step_key"]: s for s in rows}


async def test_operator_retry_after_fixes_run_out_starts_a_new_fix_round(
    api: httpx.AsyncClient, settings: Settings, with_ai: Any
) -> None:
    ai = BreakingAI(bad_fixes=3)  # the fourth fix is the good one
    await with_ai(ai)
    created = await order_site(api, unique_onboarding("ironbark-software"))
    project = await wait_status(api, created["id"], ("needs_attention",))
    assert project["waiting_for"] == "operator decision on build_and_test"
    assert len(ai.fix_logs) == 3
    url = f"/api/v1/projects/{created['id']}/steps/build_and_test"

    refused = await api.post(f"{url}/skip", json={"decided_by": "Olu"})
    assert refused.status_code == 409 and "cannot be skipped" in refused.json()["detail"]
    decided = await api.post(f"{url}/retry", json={"decided_by": "Olu", "note": "try once more"})
    assert decided.status_code == 200, decided.text

    project = await wait_status(api, created["id"], ("preview_ready",))
    assert len(ai.fix_logs) == 4  # a new patch, not the same commit built again
    git = LocalGit(settings.repos_root, settings.work_root / "git-check")
    slug = created["slug"]
    patches = await git.count_commits(slug, "preview") - await git.count_commits(slug, "main")
    assert patches == 5  # the content patch and four fixes, one commit each
    build = (await steps_of(api, created["id"]))["build_and_test"]
    assert build["status"] == "success"
    assert build["decision"]["action"] == "retry" and build["decision"]["decided_by"] == "Olu"
    assert build["decision"]["note"] == "try once more" and build["decision"]["decided_at"]
    gone = await api.post(f"{url}/retry", json={})
    assert gone.status_code == 409 and "not waiting" in gone.json()["detail"]


async def test_operator_skips_a_step_nothing_depends_on(
    api: httpx.AsyncClient, with_ai: Any
) -> None:
    await with_ai(FailingBriefAI(failures=99))
    created = await order_site(api, unique_onboarding("harbour-physio"))
    project = await wait_status(api, created["id"], ("needs_attention",))
    assert project["waiting_for"] == "operator decision on generate_brief"
    url = f"/api/v1/projects/{created['id']}/steps"
    not_waiting = await api.post(f"{url}/deploy_preview/retry", json={})
    assert not_waiting.status_code == 409
    unknown = await api.post(f"{url}/no_such_step/retry", json={})
    assert unknown.status_code == 422
    decided = await api.post(f"{url}/generate_brief/skip", json={"decided_by": "Olu"})
    assert decided.status_code == 200, decided.text
    project = await wait_status(api, created["id"], ("preview_ready",))
    brief = (await steps_of(api, created["id"]))["generate_brief"]
    assert brief["status"] == "skipped" and brief["decision"]["action"] == "skip"


async def test_operator_retry_runs_the_step_again(api: httpx.AsyncClient, with_ai: Any) -> None:
    ai = FailingBriefAI(failures=1)
    await with_ai(ai)
    created = await order_site(api, unique_onboarding("padaria-pao-e-afeto"))
    await wait_status(api, created["id"], ("needs_attention",))
    decided = await api.post(
        f"/api/v1/projects/{created['id']}/steps/generate_brief/retry", json={}
    )
    assert decided.status_code == 200, decided.text
    await wait_status(api, created["id"], ("preview_ready",))
    assert ai.calls == 2
    brief = (await steps_of(api, created["id"]))["generate_brief"]
    assert brief["status"] == "success" and brief["decision"]["action"] == "retry"


async def test_operator_abort_cancels_the_project(api: httpx.AsyncClient, with_ai: Any) -> None:
    await with_ai(FailingBriefAI(failures=99))
    created = await order_site(api, unique_onboarding("ironbark-software"))
    await wait_status(api, created["id"], ("needs_attention",))
    decided = await api.post(
        f"/api/v1/projects/{created['id']}/steps/generate_brief/abort",
        json={"decided_by": "Olu", "note": "client withdrew"},
    )
    assert decided.status_code == 200
    project = await wait_status(api, created["id"], ("cancelled",))
    assert project["waiting_for"] is None


async def test_a_failed_build_shows_as_failed_while_it_is_being_fixed(
    api: httpx.AsyncClient, sessions: Any, with_ai: Any
) -> None:
    ai = GatedFixAI()
    await with_ai(ai)
    created = await order_site(api, unique_onboarding("harbour-physio"))
    await wait_step(sessions, created["id"], "generate_fix_patch", "running")
    build = (await steps_of(api, created["id"]))["build_and_test"]
    assert build["status"] == "failed"
    assert "attempt 1 failed" in build["error_message"]
    assert "content/pages/home.json" in build["error_message"]  # the finding itself
    ai.gate.set()
    await wait_status(api, created["id"], ("preview_ready",))

    async def fixed() -> bool:
        return (await steps_of(api, created["id"]))["build_and_test"]["status"] == "success"

    await wait_for(fixed, 10)
