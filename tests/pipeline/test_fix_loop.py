"""The bounded fix loop, and what happens when it runs out: a human decides."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowUpdateFailedError

from sitegen.contracts.operator import FailureAction, OperatorDecision
from sitegen.contracts.pipeline import PipelineState, StepKey
from sitegen.contracts.site import CodePatch, CodePatchResult, LayoutPlan, SiteContent, SiteSpec
from sitegen.integrations.ai.diffing import tree_diff
from sitegen.integrations.ai.offline import OfflineAI
from sitegen.integrations.ai.site_files import render
from sitegen.settings import Settings
from sitegen.templates_registry import TemplateManifest
from sitegen.worker import build_clients, build_worker
from tests.conftest import unique_onboarding, wait_for
from tests.pipeline.helpers import broken_json, keep_history, notifications, order_site, wait_status


class BreakingAI(OfflineAI):
    """Writes a home page with truncated JSON; fixes repair it only after `bad_fixes` tries."""

    def __init__(self, bad_fixes: int = 0, *, repeating: bool = False) -> None:
        self.bad_fixes = bad_fixes
        # Every bad fix makes the very mistake the first patch made (no progress at all).
        self.repeating = repeating
        self.fix_logs: list[str] = []

    def _broken(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        cut: int = 0,
    ) -> CodePatchResult:
        target: dict[str, str | None] = dict(render(spec, content, layout))
        home = target["content/pages/home.json"]
        assert home is not None
        target["content/pages/home.json"] = broken_json(home, cut)
        diff, paths = tree_diff(files, target)
        patch = CodePatch(diff=diff, paths=paths, summary="content (with a mistake)")
        result = CodePatchResult.model_validate(
            {
                "artifact": patch,
                "usage": {"model": "test", "input_tokens": 1, "output_tokens": 1, "cost_usd": "0"},
            }
        )
        return result

    async def code_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> CodePatchResult:
        return self._broken(spec, content, layout, files)

    async def fix_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
        build_log: str,
    ) -> CodePatchResult:
        self.fix_logs.append(build_log)
        if len(self.fix_logs) <= self.bad_fixes:
            # A different mistake each time, so every fix is a real (and failing) commit.
            cut = 0 if self.repeating else len(self.fix_logs)
            return self._broken(spec, content, layout, files, cut=cut)
        return await super().fix_patch(spec, content, layout, files, template, build_log)


@pytest.fixture
async def breaking_worker(
    request: pytest.FixtureRequest, settings: Settings, engine: AsyncEngine, temporal: Client
) -> AsyncIterator[BreakingAI]:
    ai = BreakingAI(bad_fixes=getattr(request, "param", 0))
    clients = build_clients(settings, engine)
    clients.ai = ai
    async with build_worker(temporal, clients, settings, settings.task_queue):
        yield ai


async def test_a_broken_build_is_fixed_automatically(
    api: httpx.AsyncClient, breaking_worker: BreakingAI, sessions: Any, temporal: Client
) -> None:
    created = await order_site(api, unique_onboarding("ironbark-software"))
    project = await wait_status(api, created["id"])
    assert project["status"] == "preview_ready"
    assert len(breaking_worker.fix_logs) == 1
    assert "content/pages/home.json" in breaking_worker.fix_logs[0]  # the real build's error
    steps = {
        s["step_key"]: s
        for s in (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    }
    assert steps["generate_fix_patch"]["status"] == "success"
    assert steps["build_and_test"]["status"] == "success"
    handle = temporal.get_workflow_handle(created["workflow_id"])
    state = await handle.query("state", result_type=PipelineState)
    assert state.fix_attempts == 1
    from tests.pipeline.helpers import artifacts

    kinds = sorted((a.type.value, a.version) for a in await artifacts(sessions, created["id"]))
    assert ("build_report", 1) in kinds and ("build_report", 2) in kinds
    assert ("code_patch", 1) in kinds and ("code_patch", 2) in kinds
    builds = (await api.get(f"/api/v1/projects/{created['id']}/builds")).json()
    assert [(b["attempt"], b["ok"]) for b in builds] == [(1, False), (2, True)]
    assert all(b["sandbox"] == "bwrap" and b["isolated"] for b in builds)
    await handle.signal("cancel", {"reason": "test"})
    await wait_status(api, created["id"], ("cancelled",))
    await keep_history(temporal, created["workflow_id"], "life_fix_loop_repairs_build")


@pytest.mark.parametrize("breaking_worker", [99], indirect=True)
async def test_when_fixes_run_out_an_operator_decides(
    api: httpx.AsyncClient, breaking_worker: BreakingAI, sessions: Any, temporal: Client
) -> None:
    created = await order_site(api, unique_onboarding("harbour-physio"))
    project = await wait_status(api, created["id"], ("needs_attention",))
    handle = temporal.get_workflow_handle(created["workflow_id"])
    state = await handle.query("state", result_type=PipelineState)
    assert state.fix_attempts == 3  # the default bound
    assert state.waiting_for == "operator decision on build_and_test"
    steps = {
        s["step_key"]: s
        for s in (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    }
    assert steps["build_and_test"]["status"] == "failed"
    assert "fix attempts" in steps["build_and_test"]["error_message"]
    assert steps["deploy_preview"]["status"] == "queued"

    async def alerted() -> bool:
        return any(
            n.kind == "needs_attention" for n in await notifications(sessions, created["id"])
        )

    await wait_for(alerted, 10)

    # The validator refuses what cannot work: a step later steps need cannot be skipped,
    # and a step that is not waiting cannot be decided about.
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            "resolve_failure",
            OperatorDecision(step=StepKey.BUILD_AND_TEST, action=FailureAction.SKIP),
        )
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            "resolve_failure",
            OperatorDecision(step=StepKey.DEPLOY_PREVIEW, action=FailureAction.RETRY),
        )
    await handle.execute_update(
        "resolve_failure",
        OperatorDecision(step=StepKey.BUILD_AND_TEST, action=FailureAction.ABORT),
    )
    project = await wait_status(api, created["id"], ("cancelled",))
    assert project["status"] == "cancelled"
    result = await temporal.get_workflow_handle(
        created["workflow_id"], result_type=PipelineState
    ).result()
    assert result.status == "cancelled"
    await keep_history(temporal, created["workflow_id"], "life_fixes_exhausted_operator_abort")
