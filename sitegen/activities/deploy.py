"""Deploying a build to the preview host, and pointing the client's subdomain at it."""

from __future__ import annotations

import asyncio
import io
import shutil
import tarfile
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, update
from temporalio import activity

from sitegen.activities.support import Sessions, StepTracker
from sitegen.contracts.activities import (
    DeployInput,
    DeployOutcome,
    SubdomainInput,
    SubdomainOutcome,
)
from sitegen.contracts.pipeline import StepKey
from sitegen.db.tables import Project
from sitegen.integrations.hosting.base import Hosting
from sitegen.integrations.storage.base import Storage


def unpack(data: bytes, dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        # The "data" filter refuses absolute paths, links out of dest and special files.
        tar.extractall(dest, filter="data")


class DeployActivities:
    def __init__(
        self, sessions: Sessions, storage: Storage, hosting: Hosting, work_root: Path
    ) -> None:
        self.sessions = sessions
        self.storage = storage
        self.hosting = hosting
        self.work_root = work_root
        self.steps = StepTracker(sessions)

    @activity.defn
    async def deploy_preview(self, step: DeployInput) -> DeployOutcome:
        """One deploy per build: the deploy key is the workflow id plus the commit."""
        project = step.project
        async with self.steps.track(project.project_id, StepKey.DEPLOY_PREVIEW) as run:
            data = await self.storage.get(step.dist_key)
            staging = self.work_root / "deploys" / f"{project.slug}-{step.sha[:12]}"
            await asyncio.to_thread(unpack, data, staging)
            try:
                deployment = await self.hosting.deploy(
                    project.slug, staging, project.key(StepKey.DEPLOY_PREVIEW, step.sha)
                )
            finally:
                await asyncio.to_thread(shutil.rmtree, staging, True)
            run.output_ref = deployment.deploy_id
            run.details = {"url": deployment.url, "created": deployment.created}
            return DeployOutcome(
                deploy_id=deployment.deploy_id, url=deployment.url, created=deployment.created
            )

    @activity.defn
    async def provision_subdomain(self, step: SubdomainInput) -> SubdomainOutcome:
        project = step.project
        async with self.steps.track(project.project_id, StepKey.PROVISION_SUBDOMAIN) as run:
            record = await self.hosting.ensure_subdomain(project.slug, step.subdomain)
            async with self.sessions() as session, session.begin():
                await session.exec(
                    update(Project)
                    .where(col(Project.id) == project.project_id)
                    .values(subdomain=step.subdomain, updated_at=func.now())
                )
            run.output_ref = record.url
            return SubdomainOutcome(
                hostname=record.hostname, url=record.url, created=record.created
            )
