"""Deploying a build to the preview host, and pointing the client's subdomain at it."""

from __future__ import annotations

import asyncio
import io
import shutil
import tarfile
import uuid
from pathlib import Path

import structlog
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, update
from temporalio import activity

from sitegen.activities.support import ArtifactStore, Sessions, StepTracker, template_for
from sitegen.contracts.activities import (
    DeployInput,
    DeployOutcome,
    NewVersion,
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
from sitegen.contracts.site import LayoutPlan, Sitemap, SiteSpec
from sitegen.db.tables import Project, SiteVersion
from sitegen.design.pages import (
    DESIGN_PAGES_MARK,
    STYLE_GUIDE_PATH,
    WIREFRAME_PATH,
    style_guide_page,
    wireframe_page,
)
from sitegen.design.style_guide import style_guide
from sitegen.design.wireframe import wireframe_from_layout
from sitegen.failpoints import AFTER_DEPLOY, failpoint
from sitegen.integrations.hosting.base import Deployment, Hosting
from sitegen.integrations.storage.base import Storage, StorageUnavailable

log = structlog.get_logger()


def unpack(data: bytes, dest: Path, extra: dict[str, str] | None = None) -> None:
    """The build's files into `dest`, then `extra` (relative path -> text) beside them."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        # The "data" filter refuses absolute paths, links out of dest and special files.
        tar.extractall(dest, filter="data")
    for rel, text in (extra or {}).items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


class DeployActivities:
    def __init__(
        self,
        sessions: Sessions,
        storage: Storage,
        hosting: Hosting,
        work_root: Path,
        templates_dir: Path,
    ) -> None:
        self.sessions = sessions
        self.storage = storage
        self.hosting = hosting
        self.work_root = work_root
        self.templates_dir = templates_dir
        self.steps = StepTracker(sessions)
        self.artifacts = ArtifactStore(sessions, storage)

    async def _design_pages(self, version: NewVersion) -> dict[str, str]:
        """The style guide and wireframe of this version, from its own spec and layout: a
        rolled-back version shows the design it was built with. Versions recorded before
        these artifacts were kept (or with one gone) deploy without the pages."""
        keys = version.artifact_keys
        if "spec_key" not in keys or "layout_key" not in keys:
            return {}
        try:
            spec = await self.artifacts.load(keys["spec_key"], SiteSpec)
            layout = await self.artifacts.load(keys["layout_key"], LayoutPlan)
            titles: dict[str, str] = {}
            if "sitemap_key" in keys:
                site_map = await self.artifacts.load(keys["sitemap_key"], Sitemap)
                titles = {p.id: p.title for p in site_map.pages}
            template = await template_for(self.templates_dir, spec.template_id)
            frame = wireframe_from_layout(layout, template, titles)
            name, label = spec.business.name, f"version {version.number}"
            return {
                STYLE_GUIDE_PATH: style_guide_page(
                    style_guide(spec.design), project_name=name, version_label=label
                ),
                WIREFRAME_PATH: wireframe_page(frame, project_name=name, version_label=label),
            }
        except StorageUnavailable:
            raise  # the store is down for now: the step's retry makes the pages as well
        except Exception as exc:
            # The pages are an extra beside the site: the site still goes out without them.
            log.warning(
                "deploy.design_pages_skipped",
                version=version.number,
                # The type only: a validation error's text quotes the client's details.
                error=type(exc).__name__,
            )
            return {}

    async def _deploy(
        self,
        project: ProjectRef,
        dist_key: str,
        sha: str,
        key: str,
        activate: bool = True,
        extra: dict[str, str] | None = None,
    ) -> Deployment:
        data = await self.storage.get(dist_key)
        staging = self.work_root / "deploys" / f"{project.slug}-{sha[:12]}-{uuid.uuid4().hex[:6]}"
        await asyncio.to_thread(unpack, data, staging, extra)
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
            pages = await self._design_pages(version) if version is not None else {}
            # A version goes live last, once its address and its row exist: a deploy that
            # fails half-way (and is set aside) never shows on the preview.
            deployment = await self._deploy(
                project, step.dist_key, step.sha, key, activate=version is None, extra=pages
            )
            version_url = None
            if version is not None:
                pinned = await self.hosting.pin_version(
                    project.slug, version.subdomain, version.number, deployment.deploy_id
                )
                version_url = pinned.url
                await self._record_version(step, deployment.deploy_id, version_url, bool(pages))
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

    async def _record_version(
        self, step: DeployInput, deploy_id: str, url: str, design_pages: bool
    ) -> None:
        version = step.version
        assert version is not None
        # Which versions carry the design pages: the API links them only there (a version
        # deployed before the pages existed, or without its artifacts, has none).
        artifacts = {**version.artifact_keys, DESIGN_PAGES_MARK: "1"} if design_pages else None
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
            artifacts=artifacts or version.artifact_keys,
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
