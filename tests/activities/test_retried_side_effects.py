"""Activities run again with the same input (what a Temporal retry does) change nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from sitegen.activities.deploy import DeployActivities
from sitegen.activities.notify import NotifyActivities
from sitegen.activities.repo import RepoActivities
from sitegen.api.schemas import public_repo_url
from sitegen.contracts.activities import (
    ApplyPatchInput,
    ArtifactRef,
    DeployInput,
    NotifyInput,
    ProjectRef,
)
from sitegen.contracts.status import ArtifactType
from sitegen.db.tables import Artifact
from sitegen.settings import Settings
from sitegen.worker import build_clients
from tests.conftest import unique_onboarding
from tests.pipeline.helpers import notifications, order_site, wait_status


@pytest.mark.usefixtures("worker")
async def test_repeating_each_side_effect_changes_nothing(
    api: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    sessions: Any,
    temporal: Client,
) -> None:
    created = await order_site(api, unique_onboarding("ironbark-software"))
    project = await wait_status(api, created["id"])
    assert project["status"] == "preview_ready"
    run = await temporal.get_workflow_handle(created["workflow_id"]).describe()
    ref = ProjectRef(
        project_id=uuid.UUID(created["id"]),
        workflow_id=created["workflow_id"],
        slug=created["slug"],
        template_id="landing",
        generation=run.run_id,  # keys belong to this generation of the site
    )
    clients = build_clients(settings, engine)
    env = ActivityEnvironment()
    repo = RepoActivities(clients.sessions, clients.git, clients.storage, settings.templates_dir)
    slug = created["slug"]
    commits_before = await clients.git.count_commits(slug, "preview")

    again = await env.run(repo.provision_repository, ref)
    assert public_repo_url(again.repo_url) == project["repo_url"]
    assert again.head != ""  # the existing preview branch, not a new repo
    async with sessions() as session:
        patch_row = (
            await session.exec(
                select(Artifact)
                .where(Artifact.project_id == ref.project_id)
                .where(Artifact.type == ArtifactType.CODE_PATCH)
            )
        ).one()
    patch = ArtifactRef(
        type=ArtifactType.CODE_PATCH,
        version=1,
        storage_key=patch_row.storage_ref,
        size=patch_row.file_size or 0,
    )
    commit = await env.run(
        repo.apply_patch, ApplyPatchInput(project=ref, repo=again, patch=patch, round=0)
    )
    assert commit.created is False
    assert commit.sha == await clients.git.head(slug, "preview")
    assert await clients.git.count_commits(slug, "preview") == commits_before

    deploy = DeployActivities(
        clients.sessions,
        clients.storage,
        clients.hosting,
        settings.work_root,
        settings.templates_dir,
    )
    dist_key = f"projects/{created['id']}/builds/{commit.sha}.tar.gz"
    redeployed = await env.run(
        deploy.deploy_preview, DeployInput(project=ref, dist_key=dist_key, sha=commit.sha)
    )
    assert redeployed.created is False
    assert len(list((settings.sites_root / slug / "deploys").iterdir())) == 1

    notify = NotifyActivities(clients.sessions, settings.workspace_notify_recipient)
    note = NotifyInput(project=ref, preview_url=project["preview_url"])
    assert (await env.run(notify.notify_client, note)).created is False
    assert (await env.run(notify.notify_workspace, note)).created is False
    assert len(await notifications(sessions, created["id"])) == 2
