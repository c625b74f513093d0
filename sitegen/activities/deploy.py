"""Deploying a build to the preview host, and pointing the client's subdomain at it."""

from __future__ import annotations

import asyncio
import io
import shutil
import tarfile
import uuid
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, update
from temporalio import activity

from sitegen.activities.support import Sessions, StepTracker
from sitegen.contracts.activities import (
    DeployInput,
    DeployOutcome,
    ProjectRef,
    SubdomainInput,
    SubdomainOutcome,
)
from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.review_activities import (
    ProductionDeployInput,
    ProductionDeployOutcome,
    TakeDownInput,
)
from sitegen.db.tables import Project, SiteVersion
from sitegen.failpoints import AFTER_DEPLOY, failpoint
from sitegen.integrations.hosting.base import Deployment, Hosting
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

    async def _deploy(
        self, project: ProjectRef, dist_key: str, sha: str, key: str, activate: bool = True
    ) -> Deployment:
        data = await self.storage.get(dist_key)
        staging = self.work_root / "deploys" / f"{project.slug}-{sha[:12]}-{uuid.uuid4().hex[:6]}"
        await asyncio.to_thread(unpack, data, staging)
        try:
            return await self.hosting.deploy(project.slug, staging, key, activate=activate)
        finally:
            await asyncio.to_thread(shutil.rmtree, staging, True)

    @activity.defn
    async def deploy_preview(self, step: DeployInput) -> DeployOutcome:
        """One deploy per build (the key is the generation plus the commit). With a version,
        the deploy also gets its immutable URL and its row in `site_version`."""
        project = step.project
        async with self.steps.track(project.project_id, StepKey.DEPLOY_PREVIEW) as run:
            key = project.key(StepKey.DEPLOY_PREVIEW, step.sha)
            version = step.version
            # A version goes live last, once its address and its row exist: a deploy that
            # fails half-way (and is set aside) never shows on the preview.
            deployment = await self._deploy(
                project, step.dist_key, step.sha, key, activate=version is None
            )
            version_url = None
            if version is not None:
                pinned = await self.hosting.pin_version(
                    project.slug, version.subdomain, version.number, deployment.deploy_id
                )
                version_url = pinned.url
                await self._record_version(step, deployment.deploy_id, version_url)
                await self.hosting.activate(project.slug, deployment.deploy_id)
            failpoint(AFTER_DEPLOY)
            run.output_ref = deployment.deploy_id
            run.details = {
                "url": deployment.url,
                "created": deployment.created,
                "version": step.version.number if step.version else None,
                "version_url": version_url,
            }
            return DeployOutcome(
                deploy_id=deployment.deploy_id,
                url=deployment.url,
                created=deployment.created,
                version_url=version_url,
            )

    async def _record_version(self, step: DeployInput, deploy_id: str, url: str) -> None:
        version = step.version
        assert version is not None
        project_id = step.project.project_id
        row = insert(SiteVersion).values(
            id=uuid.uuid4(),
            project_id=project_id,
            number=version.number,
            kind=version.kind,
            commit_sha=step.sha,
            deploy_id=deploy_id,
            url=url,
            revision_id=version.revision_id,
            rolled_back_to=version.rolled_back_to,
            requested_by=version.requested_by,
            spec_version=version.spec_version,
            artifacts=version.artifact_keys,
        )
        async with self.sessions() as session, session.begin():
            await session.execute(
                row.on_conflict_do_nothing(index_elements=["project_id", "number"])
            )

    @activity.defn
    async def deploy_production(self, step: ProductionDeployInput) -> ProductionDeployOutcome:
        """The approved build at the production address; the preview is left as it is."""
        project = step.project
        async with self.steps.track(project.project_id, StepKey.DEPLOY_PRODUCTION) as run:
            deployment = await self._deploy(
                project,
                step.dist_key,
                step.sha,
                project.key(StepKey.DEPLOY_PRODUCTION, step.sha),
                activate=False,
            )
            record = await self.hosting.publish_production(
                project.slug, step.subdomain, deployment.deploy_id
            )
            async with self.sessions() as session, session.begin():
                await session.exec(
                    update(Project)
                    .where(col(Project.id) == project.project_id)
                    .values(production_url=record.url, updated_at=func.now())
                )
            run.output_ref = deployment.deploy_id
            run.details = {"url": record.url}
            return ProductionDeployOutcome(deploy_id=deployment.deploy_id, url=record.url)

    @activity.defn
    async def take_down_preview(self, step: TakeDownInput) -> bool:
        """A cancelled project's preview (and its version URLs) stop serving; nothing is
        deleted, so an agency can still look at what was made."""
        return await self.hosting.take_down(step.project.slug)

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
                hostname=record.hostname,
                url=record.url,
                created=record.created,
                production_url=self.hosting.production_url(step.subdomain),
            )
