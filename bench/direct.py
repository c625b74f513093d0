"""The baseline for "what durability costs": the first generation's activities called directly,
in this process, in the workflow's order and with its parallelism, with no Temporal at all.

The activity objects are the worker's own (`sitegen.worker.make_activities` on the same
clients and settings), each call runs in Temporal's test `ActivityEnvironment` (so
`activity.info()` and heartbeats work as they do in a worker) and writes the same rows. What
is missing is exactly what Temporal adds: the API's start call, the history, the task queue
round trips, the retries and the recovery. Not a second product: no retry, no fix loop, no
operator (a failed step or a failed build fails the run, which the benchmark counts).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from temporalio.testing import ActivityEnvironment

from sitegen.contracts.activities import (
    AIStepInput,
    ApplyPatchInput,
    BuildInput,
    DeployInput,
    NewVersion,
    NotifyInput,
    OnboardingStepInput,
    ProjectRef,
    SetupInput,
    StatusChange,
    SubdomainInput,
)
from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.review import SiteArtifacts, VersionKind
from sitegen.contracts.status import ProjectStatus
from sitegen.db.engine import make_engine
from sitegen.settings import Settings
from sitegen.worker import Activities, build_clients, make_activities

A = TypeVar("A")
T = TypeVar("T")


class DirectRunner:
    """Runs orders through the activities with at most `slots` activities at a time, as the
    worker's `max_concurrent_activities` allows."""

    def __init__(self, acts: Activities, slots: int) -> None:
        self.acts = acts
        self.slots = asyncio.Semaphore(slots)

    async def call(self, method: Callable[[A], Awaitable[T]], arg: A) -> T:
        async with self.slots:
            result: T = await ActivityEnvironment().run(method, arg)
            return result

    async def generate(self, project: ProjectRef) -> float:
        """One order, start to preview_ready; its seconds."""
        started = time.perf_counter()
        a, call = self.acts, self.call
        pid = project.project_id
        await call(a.project.start_pipeline, StatusChange(project_id=pid, status="onboarding"))
        checked = await call(a.project.validate_onboarding, project)
        if not checked.valid:
            raise RuntimeError(f"{project.slug}: the onboarding is not valid")
        await call(a.project.set_status, StatusChange(project_id=pid, status="generating"))
        form = OnboardingStepInput(project=project, onboarding_key=checked.onboarding_key)
        label = checked.subdomain or project.slug
        assets = asyncio.ensure_future(call(a.project.download_assets, form))
        repo_task = asyncio.ensure_future(call(a.repo.provision_repository, project))
        dns = asyncio.ensure_future(
            call(a.deploy.provision_subdomain, SubdomainInput(project=project, subdomain=label))
        )
        spec = await call(a.ai.create_site_spec, form)
        ai = AIStepInput(project=project, spec_key=spec.storage_key)
        brief = asyncio.ensure_future(call(a.ai.generate_brief, ai))
        sitemap = await call(a.ai.generate_sitemap, ai)
        ai = ai.model_copy(update={"sitemap_key": sitemap.storage_key})
        content_task = asyncio.ensure_future(call(a.ai.generate_content, ai))
        layout_task = asyncio.ensure_future(call(a.ai.generate_layout_plan, ai))
        repo, stored = await repo_task, await assets
        setup = await call(
            a.repo.setup_project_structure,
            SetupInput(project=project, repo=repo, asset_keys=stored.stored),
        )
        content, layout = await content_task, await layout_task
        ai = ai.model_copy(
            update={
                "content_key": content.storage_key,
                "layout_key": layout.storage_key,
                "repo_ref": setup.head,
            }
        )
        patch = await call(a.ai.generate_code_patch, ai)
        subdomain = await dns
        commit = await call(
            a.repo.apply_patch, ApplyPatchInput(project=project, repo=setup, patch=patch, round=0)
        )
        build = await call(
            a.build.build_and_test,
            BuildInput(
                project=project,
                repo=setup,
                sha=commit.sha,
                attempt=1,
                site_url=subdomain.url,
                report_version=1,
                step=StepKey.BUILD_AND_TEST,
            ),
        )
        if not build.ok or build.dist_key is None:
            raise RuntimeError(f"{project.slug}: the build failed: {build.findings[:200]}")
        site = SiteArtifacts(
            spec_key=spec.storage_key,
            sitemap_key=sitemap.storage_key,
            content_key=content.storage_key,
            layout_key=layout.storage_key,
            pages=sitemap.items,
        )
        version = NewVersion(
            number=1,
            kind=VersionKind.GENERATION,
            subdomain=label,
            artifact_keys=site.model_dump(exclude={"spec_version", "pages"}),
        )
        await call(
            a.deploy.deploy_preview,
            DeployInput(project=project, dist_key=build.dist_key, sha=commit.sha, version=version),
        )
        await brief
        note = NotifyInput(project=project, preview_url=subdomain.url)
        await asyncio.gather(
            call(a.notify.notify_client, note), call(a.notify.notify_workspace, note)
        )
        await call(
            a.project.set_status,
            StatusChange(
                project_id=pid, status=ProjectStatus.PREVIEW_READY, preview_url=subdomain.url
            ),
        )
        return time.perf_counter() - started


def project_ref(api: httpx.Client, project_id: str) -> ProjectRef:
    """The reference a workflow would build for the project (its own id as the run's)."""
    project: dict[str, Any] = api.get(f"/api/v1/projects/{project_id}").json()
    return ProjectRef(
        project_id=uuid.UUID(project_id),
        workflow_id=f"direct-{project_id}",
        slug=project["slug"],
        template_id=project["template_id"],
        generation=str(uuid.uuid4()),
    )


async def run_direct(
    settings: Settings, database_url: str, projects: list[ProjectRef], *, concurrent: bool
) -> tuple[list[float], float]:
    """Each project's seconds to preview_ready, and the wall time for all of them: one after
    another, or all at once (sharing 20 activity slots, as the worker does)."""
    engine = make_engine(database_url, pool_size=10)
    try:
        runner = DirectRunner(make_activities(build_clients(settings, engine), settings), 20)
        started = time.perf_counter()
        if concurrent:
            each = list(await asyncio.gather(*(runner.generate(p) for p in projects)))
        else:
            each = [await runner.generate(p) for p in projects]
        return each, time.perf_counter() - started
    finally:
        await engine.dispose()
