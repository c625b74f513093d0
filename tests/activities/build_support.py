"""What the build activity's tests share: a site that built once through the pipeline, and
what it takes to build it again outside it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from sitegen.contracts.activities import BuildInput, ProjectRef, RepoOutcome
from sitegen.settings import Settings
from sitegen.worker import Clients, build_clients
from tests.conftest import unique_onboarding
from tests.pipeline.helpers import order_site, wait_status


async def built_site(
    api: httpx.AsyncClient, settings: Settings, engine: AsyncEngine, temporal: Client
) -> tuple[dict[str, Any], Clients, Callable[[int], BuildInput]]:
    """A site that built once, and what it takes to build it again: the project, the
    clients, and a BuildInput for a given report version."""
    created = await order_site(api, unique_onboarding("sunflower-cafe"))
    project = await wait_status(api, created["id"])
    assert project["status"] == "preview_ready"
    run = await temporal.get_workflow_handle(created["workflow_id"]).describe()
    ref = ProjectRef(
        project_id=uuid.UUID(created["id"]),
        workflow_id=created["workflow_id"],
        slug=created["slug"],
        template_id="landing",
        generation=run.run_id,
    )
    clients = build_clients(settings, engine)
    sha = await clients.git.head(ref.slug, "preview")
    repo = RepoOutcome(repo_name=ref.slug, repo_url=project["repo_url"], branch="preview", head=sha)

    def build_input(version: int) -> BuildInput:
        return BuildInput(
            project=ref,
            repo=repo,
            sha=sha,
            attempt=1,
            site_url=project["preview_url"],
            report_version=version,
        )

    return created, clients, build_input
