"""Revisions that cannot be made: a build that fails through every fix round, and a project
cancelled while a revision is being worked on. The live preview never changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from sitegen.contracts.revision import RevisionAsk, SiteRevision, SiteRevisionResult
from sitegen.contracts.site import CodePatch, CodePatchResult, LayoutPlan, SiteContent, SiteSpec
from sitegen.integrations.ai.diffing import tree_diff
from sitegen.integrations.ai.offline import OfflineAI
from sitegen.integrations.ai.site_files import render
from sitegen.integrations.git.local import LocalGit
from sitegen.settings import Settings
from sitegen.templates_registry import TemplateManifest
from sitegen.worker import build_clients, build_worker
from tests.conftest import ADMIN_HEADERS, unique_onboarding, wait_for
from tests.pipeline.helpers import (
    PreviewSite,
    broken_json,
    notifications,
    order_site,
    wait_status,
    wait_step,
)


def broken(files: dict[str, str], target: dict[str, str], cut: int) -> CodePatch:
    """The target files with the home page's JSON cut short: a patch whose build fails."""
    damaged: dict[str, str | None] = dict(target)
    home = target["content/pages/home.json"]
    damaged["content/pages/home.json"] = broken_json(home, cut)
    diff, paths = tree_diff(files, damaged)
    return CodePatch(diff=diff, paths=paths, summary="a change with a mistake")


class UnbuildableRevisionAI(OfflineAI):
    """Revisions come back broken, and every fix of them is broken too; `gate`, when set,
    holds each revision until the test opens it."""

    def __init__(self) -> None:
        self.breaking = True
        self.fixes = 0
        self.gate: asyncio.Event | None = None

    async def revision(
        self,
        ask: RevisionAsk,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> SiteRevisionResult:
        if self.gate is not None:
            await self.gate.wait()
        result = await super().revision(ask, spec, content, layout, files, template)
        revision = result.artifact
        if not self.breaking or not revision.accepted:
            return result
        assert revision.content is not None and revision.layout is not None
        patch = broken(files, render(revision.spec, revision.content, revision.layout), 0)
        damaged = SiteRevision.model_validate({**revision.model_dump(), "patch": patch})
        return SiteRevisionResult(artifact=damaged, usage=result.usage)

    async def fix_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
        build_log: str,
    ) -> CodePatchResult:
        if not self.breaking:
            return await super().fix_patch(spec, content, layout, files, template, build_log)
        self.fixes += 1
        good = await super().fix_patch(spec, content, layout, files, template, build_log)
        patch = broken(files, render(spec, content, layout), self.fixes)
        return CodePatchResult(artifact=patch, usage=good.usage)


@pytest.fixture
async def unbuildable(
    settings: Settings, engine: AsyncEngine, temporal: Client
) -> AsyncIterator[UnbuildableRevisionAI]:
    ai = UnbuildableRevisionAI()
    clients = build_clients(settings, engine)
    clients.ai = ai
    async with build_worker(temporal, clients, settings, settings.task_queue):
        yield ai


async def home(settings: Settings, url: str) -> httpx.Response:
    site = PreviewSite(settings.sites_root, url)
    try:
        return await site.get("/")
    finally:
        await site.aclose()


async def test_a_revision_that_never_builds_is_rejected_and_the_preview_stays(
    api: httpx.AsyncClient, settings: Settings, unbuildable: UnbuildableRevisionAI
) -> None:
    created = await order_site(api, unique_onboarding("harbour-physio"))
    project = await wait_status(api, created["id"])
    pid, slug = created["id"], created["slug"]
    before = (await home(settings, project["preview_url"])).text
    git = LocalGit(settings.repos_root, settings.work_root / "git-check")
    live_files = await git.read_files(slug, "preview", ["content/**"])

    message = 'Change the headline on the home page to "Never built"'
    response = await api.post(f"/api/v1/projects/{pid}/revisions", json={"message": message})
    assert response.status_code == 202

    async def finished() -> dict[str, Any] | None:
        revisions = (await api.get(f"/api/v1/projects/{pid}/revisions")).json()
        done = revisions and revisions[0]["status"] == "rejected"
        project = (await api.get(f"/api/v1/projects/{pid}")).json()
        return revisions[0] if done and project["status"] == "preview_ready" else None

    revision = await wait_for(finished, 60)
    assert "did not build" in revision["rejection_reason"]
    assert unbuildable.fixes == settings.max_fix_attempts
    assert (await home(settings, project["preview_url"])).text == before
    assert len((await api.get(f"/api/v1/projects/{pid}/versions")).json()) == 1
    # The failed commits stay in history, and a new commit puts the live files back on top.
    assert await git.read_files(slug, "preview", ["content/**"]) == live_files

    unbuildable.breaking = False  # the next revision starts from the live site and works
    message = 'Change the headline on the home page to "Built at last"'
    assert (
        await api.post(f"/api/v1/projects/{pid}/revisions", json={"message": message})
    ).status_code == 202

    async def applied() -> bool:
        versions = (await api.get(f"/api/v1/projects/{pid}/versions")).json()
        return len(versions) == 2

    await wait_for(applied, 60)
    await wait_status(api, pid, ("preview_ready",))
    assert "Built at last" in (await home(settings, project["preview_url"])).text


@pytest.mark.chaos  # a revision's build cut down mid-run: `make chaos`
async def test_cancel_during_a_revision_stops_it_and_nothing_lands_after(
    api: httpx.AsyncClient,
    settings: Settings,
    sessions: Any,
    unbuildable: UnbuildableRevisionAI,
) -> None:
    unbuildable.breaking = False
    unbuildable.gate = asyncio.Event()
    created = await order_site(api, unique_onboarding("ironbark-software"))
    project = await wait_status(api, created["id"])
    pid, slug = created["id"], created["slug"]
    git = LocalGit(settings.repos_root, settings.work_root / "git-check")
    for message in ("Change the primary colour to teal", "Change the primary colour to gold"):
        response = await api.post(f"/api/v1/projects/{pid}/revisions", json={"message": message})
        assert response.status_code == 202
    await wait_step(sessions, pid, "generate_revision_patch", "running")
    commits = await git.count_commits(slug, "preview")

    assert (await api.post(f"/api/v1/projects/{pid}/cancel", json={})).status_code == 202
    await wait_status(api, pid, ("cancelled",))
    unbuildable.gate.set()  # whatever was waiting may run now: nothing must come of it
    await asyncio.sleep(2)
    revisions = (await api.get(f"/api/v1/projects/{pid}/revisions")).json()
    assert [r["status"] for r in revisions] == ["rejected", "rejected"]
    assert all("cancelled" in r["rejection_reason"] for r in revisions)
    assert await git.count_commits(slug, "preview") == commits
    assert len((await api.get(f"/api/v1/projects/{pid}/versions")).json()) == 1
    assert (await home(settings, project["preview_url"])).status_code == 410
    kinds = [n.kind for n in await notifications(sessions, pid)]
    assert "revision_applied" not in kinds


class MisfitRevisionAI(OfflineAI):
    """Revision patches written against files that are not the repo's: git cannot apply them."""

    async def revision(
        self,
        ask: RevisionAsk,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> SiteRevisionResult:
        result = await super().revision(ask, spec, content, layout, files, template)
        revision = result.artifact
        if not revision.accepted or revision.content is None or revision.layout is None:
            return result
        stale = {path: text.replace('"', "'") for path, text in files.items()}
        diff, paths = tree_diff(stale, render(revision.spec, revision.content, revision.layout))
        patch = CodePatch(diff=diff, paths=paths, summary=revision.summary)
        misfit = SiteRevision.model_validate({**revision.model_dump(), "patch": patch})
        return SiteRevisionResult(artifact=misfit, usage=result.usage)


async def test_an_operator_sets_aside_a_revision_whose_patch_does_not_apply(
    api: httpx.AsyncClient, settings: Settings, engine: AsyncEngine, temporal: Client
) -> None:
    clients = build_clients(settings, engine)
    clients.ai = MisfitRevisionAI()
    async with build_worker(temporal, clients, settings, settings.task_queue):
        created = await order_site(api, unique_onboarding("padaria-pao-e-afeto"))
        project = await wait_status(api, created["id"])
        pid = created["id"]
        before = (await home(settings, project["preview_url"])).text
        message = "mude a cor principal para verde-escuro"
        assert (
            await api.post(f"/api/v1/projects/{pid}/revisions", json={"message": message})
        ).status_code == 202
        stuck = await wait_status(api, pid, ("needs_attention",), seconds=60)
        assert stuck["waiting_for"] == "operator decision on apply_patch"
        decided = await api.post(
            f"/api/v1/projects/{pid}/steps/apply_patch/skip", json={"decided_by": "Olu"}
        )
        assert decided.status_code == 200, decided.text
        await wait_status(api, pid, ("preview_ready",))
        revisions = (await api.get(f"/api/v1/projects/{pid}/revisions")).json()
        assert revisions[0]["status"] == "rejected"
        assert "set this change aside" in revisions[0]["rejection_reason"]
        assert (await home(settings, project["preview_url"])).text == before
        outside = await api.post(f"/api/v1/projects/{pid}/steps/apply_patch/skip", json={})
        assert outside.status_code == 409  # nothing is waiting any more


async def test_aborting_a_change_cancels_and_settles_the_revision(
    api: httpx.AsyncClient, settings: Settings, engine: AsyncEngine, temporal: Client
) -> None:
    clients = build_clients(settings, engine)
    clients.ai = MisfitRevisionAI()
    async with build_worker(temporal, clients, settings, settings.task_queue):
        created = await order_site(api, unique_onboarding("harbour-physio"))
        await wait_status(api, created["id"])
        pid = created["id"]
        message = "Change the primary colour to teal"
        response = await api.post(f"/api/v1/projects/{pid}/revisions", json={"message": message})
        assert response.status_code == 202
        await wait_status(api, pid, ("needs_attention",), seconds=60)
        decided = await api.post(f"/api/v1/projects/{pid}/steps/apply_patch/abort", json={})
        assert decided.status_code == 200, decided.text
        await wait_status(api, pid, ("cancelled",))
        revisions = (await api.get(f"/api/v1/projects/{pid}/revisions")).json()
        assert [r["status"] for r in revisions] == ["rejected"]  # never left "processing"
        assert "cancelled" in revisions[0]["rejection_reason"]


async def test_every_operator_alert_is_sent_across_continue_as_new(
    api: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    temporal: Client,
    sessions: Any,
) -> None:
    """The alert for the n-th failure of a step is keyed by n; the count crosses runs."""
    from sitegen.api.app import create_app

    app = create_app(settings.model_copy(update={"workflow_history_limit": 60}))
    clients = build_clients(settings, engine)
    clients.ai = MisfitRevisionAI()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", headers=ADMIN_HEADERS
        ) as short,
        build_worker(temporal, clients, settings, settings.task_queue),
    ):
        created = await order_site(short, unique_onboarding("padaria-pao-e-afeto"))
        await wait_status(short, created["id"])
        pid = created["id"]
        handle = temporal.get_workflow_handle(created["workflow_id"])
        runs = set()
        for _ in range(3):
            message = "mude a cor principal para verde-escuro"
            response = await short.post(
                f"/api/v1/projects/{pid}/revisions", json={"message": message}
            )
            assert response.status_code == 202, response.text
            await wait_status(short, pid, ("needs_attention",), seconds=60)
            runs.add((await handle.describe()).run_id)
            decided = await short.post(f"/api/v1/projects/{pid}/steps/apply_patch/skip", json={})
            assert decided.status_code == 200, decided.text
            await wait_status(short, pid, ("preview_ready",))
        assert len(runs) >= 2  # the failures happened in more than one run
        alerts = [n for n in await notifications(sessions, pid) if n.kind == "needs_attention"]
        assert len(alerts) == 3


async def test_a_retried_request_with_the_same_key_is_one_revision(
    api: httpx.AsyncClient, settings: Settings, engine: AsyncEngine, temporal: Client
) -> None:
    clients = build_clients(settings, engine)
    async with build_worker(temporal, clients, settings, settings.task_queue):
        created = await order_site(api, unique_onboarding("ironbark-software"))
        await wait_status(api, created["id"])
        pid = created["id"]
        body = {"message": 'Change the headline on the home page to "Once only"'}
        headers = {"Idempotency-Key": "client-retry-7"}
        first, second = [
            await api.post(f"/api/v1/projects/{pid}/revisions", json=body, headers=headers)
            for _ in range(2)
        ]
        assert first.status_code == second.status_code == 202, second.text
        assert first.json()["revision_id"] == second.json()["revision_id"]

        async def applied() -> bool:
            revisions = (await api.get(f"/api/v1/projects/{pid}/revisions")).json()
            return [r["status"] for r in revisions] == ["applied"]

        await wait_for(applied, 60)
        await wait_status(api, pid, ("preview_ready",))
        assert len((await api.get(f"/api/v1/projects/{pid}/versions")).json()) == 2
