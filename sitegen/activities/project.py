"""Project-level steps: validating the onboarding, fetching its assets, and the bookkeeping
the workflow does through local activities (status, step rows)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, update
from temporalio import activity

from sitegen.activities.support import (
    Sessions,
    StepTracker,
    bad_input,
    read_onboarding,
    template_for,
)
from sitegen.contracts.activities import (
    AssetFailure,
    AssetsOutcome,
    FieldError,
    OnboardingStepInput,
    ProjectRef,
    StatusChange,
    StepMark,
    ValidationOutcome,
)
from sitegen.contracts.onboarding import Asset
from sitegen.contracts.onboarding_check import (
    onboarding_problems,
    subdomain_taken,
    upload_prefix,
)
from sitegen.contracts.pipeline import PIPELINE_STEPS, StepKey, step_order
from sitegen.contracts.status import ProjectStatus, StepStatus
from sitegen.db import queries
from sitegen.db.tables import PipelineStep, Project
from sitegen.integrations.assets.fetcher import (
    ALLOWED_TYPES,
    AssetFetcher,
    AssetRejected,
    AssetUnavailable,
)
from sitegen.integrations.storage.base import Storage
from sitegen.templates_registry import TemplateNotFoundError

log = structlog.get_logger()

# Transient download failures are retried this many times before the asset is given up
# on (the site then falls back to text); permanent rejections are reported at once.
ASSET_ATTEMPTS = 3


def onboarding_key(project_id: uuid.UUID, revision: int) -> str:
    return f"projects/{project_id}/onboarding/revision-{revision}.json"


def asset_key(project_id: uuid.UUID, asset: Asset, index: int, content_type: str) -> str:
    ext = ALLOWED_TYPES.get(content_type, ".bin").lstrip(".")
    name = "logo" if asset.kind == "logo" else f"image-{index}"
    return f"projects/{project_id}/assets/{name}.{ext}"


class ProjectActivities:
    def __init__(
        self, sessions: Sessions, storage: Storage, fetcher: AssetFetcher, templates_dir: Path
    ) -> None:
        self.sessions = sessions
        self.storage = storage
        self.fetcher = fetcher
        self.templates_dir = templates_dir
        self.steps = StepTracker(sessions)

    async def _onboarding(self, project_id: uuid.UUID) -> tuple[Project, Any]:
        async with self.sessions() as session:
            project = await queries.get_project(session, project_id)
            if project is None:
                raise bad_input("ProjectNotFound", f"project {project_id} does not exist")
            return project, await queries.get_onboarding(session, project_id)

    @activity.defn
    async def validate_onboarding(self, ref: ProjectRef) -> ValidationOutcome:
        async with self.steps.track(ref.project_id, StepKey.VALIDATE_ONBOARDING) as run:
            outcome = await self._validate(ref)
            if not outcome.valid:
                run.status = StepStatus.MANUAL
                run.message = (
                    f"waiting for the client to correct the onboarding "
                    f"({len(outcome.errors)} problem(s), first: {outcome.errors[0].field})"
                )
            run.details = {"revision": outcome.revision, "valid": outcome.valid}
            return outcome

    async def _validate(self, ref: ProjectRef) -> ValidationOutcome:
        project, submission = await self._onboarding(ref.project_id)
        if submission is None:
            return ValidationOutcome(
                valid=False,
                revision=0,
                errors=[FieldError(field="onboarding", reason="no onboarding submitted yet")],
            )
        try:
            template = await template_for(self.templates_dir, project.template_id)
        except TemplateNotFoundError:
            template = None
        errors, form = onboarding_problems(submission.raw_data, template, project.template_id)
        key = None
        if form is not None:
            # The validated form, frozen: later steps read this, not the (mutable) row.
            key = onboarding_key(ref.project_id, submission.revision)
            await self.storage.put(
                key, form.model_dump_json(exclude_none=True).encode(), "application/json"
            )
        async with self.sessions() as session, session.begin():
            if form is not None:
                if await queries.subdomain_taken(session, form.subdomain, ref.project_id):
                    errors.append(subdomain_taken(form.subdomain))
                else:
                    # Claim it now; the unique index settles any race.
                    await session.exec(
                        update(Project)
                        .where(col(Project.id) == ref.project_id)
                        .values(subdomain=form.subdomain)
                    )
            await session.exec(
                update(Project)
                .where(col(Project.id) == ref.project_id)
                .values(waiting_for="onboarding correction" if errors else None)
            )
            fresh = await queries.get_onboarding(session, ref.project_id)
            if fresh is not None and fresh.revision == submission.revision:
                fresh.is_valid = not errors
                fresh.validation_errors = [e.model_dump() for e in errors]
                fresh.assets_refs = [
                    {"kind": a.kind, "alt": a.alt, "source": "url" if a.url else "upload"}
                    for a in (form.assets if form else [])
                ]
                session.add(fresh)
        return ValidationOutcome(
            valid=not errors,
            revision=submission.revision,
            errors=errors,
            subdomain=form.subdomain if form is not None else None,
            onboarding_key=key if not errors else None,
        )

    @activity.defn
    async def download_assets(self, step: OnboardingStepInput) -> AssetsOutcome:
        ref = step.project
        async with self.steps.track(ref.project_id, StepKey.DOWNLOAD_ASSETS) as run:
            form = await read_onboarding(self.sessions, self.storage, step)
            outcome = AssetsOutcome()
            last_try = activity.info().attempt >= ASSET_ATTEMPTS
            for index, asset in enumerate(form.assets if form else []):
                try:
                    outcome.stored.append(await self._store_asset(ref.project_id, asset, index))
                except AssetRejected as exc:
                    outcome.failures.append(AssetFailure(alt=asset.alt, reason=exc.reason))
                except AssetUnavailable as exc:
                    if not last_try:
                        raise  # Temporal retries the step; stored assets are kept by key
                    outcome.failures.append(AssetFailure(alt=asset.alt, reason=exc.reason))
            run.details = {"stored": len(outcome.stored), "failed": len(outcome.failures)}
            if outcome.failures:
                log.warning(
                    "assets.failed",
                    project_id=str(ref.project_id),
                    failures=[f.reason for f in outcome.failures],
                )
            return outcome

    async def _store_asset(self, project_id: uuid.UUID, asset: Asset, index: int) -> str:
        if asset.storage_key is not None:
            # Checked when the form was taken; again here, for forms stored before the rule.
            if not asset.storage_key.startswith(upload_prefix(project_id)):
                raise AssetRejected("foreign_upload", "not an upload of this project")
            if not await self.storage.exists(asset.storage_key):
                raise AssetRejected("uploaded file not found", asset.storage_key)
            data = await self.storage.get(asset.storage_key)
            stat = await self.storage.stat(asset.storage_key)
            content_type = stat.content_type
        else:
            fetched = await self.fetcher.fetch(str(asset.url))
            data, content_type = fetched.content, fetched.content_type
        if content_type not in ALLOWED_TYPES:
            raise AssetRejected(f"unsupported image type {content_type}")
        key = asset_key(project_id, asset, index, content_type)
        await self.storage.put(key, data, content_type)
        return key

    # --- bookkeeping (local activities) ---------------------------------------------------

    @activity.defn
    async def onboarding_revision(self, ref: ProjectRef) -> int:
        """The stored form's revision (0: none yet): how a waiting run finds a correction
        whose signal never reached it."""
        async with self.sessions() as session:
            submission = await queries.get_onboarding(session, ref.project_id)
        return submission.revision if submission is not None else 0

    @activity.defn
    async def set_status(self, change: StatusChange) -> None:
        values: dict[str, Any] = {
            "status": change.status.value,
            "waiting_for": change.waiting_for,
            "updated_at": func.now(),
        }
        for field in ("preview_url", "repo_url", "subdomain", "production_url"):
            if getattr(change, field) is not None:
                values[field] = getattr(change, field)
        if change.status == ProjectStatus.DELIVERED:
            values["delivered_at"] = func.now()
        async with self.sessions() as session, session.begin():
            await session.exec(
                update(Project).where(col(Project.id) == change.project_id).values(**values)
            )

    @activity.defn
    async def mark_step(self, mark: StepMark) -> None:
        async with self.sessions() as session, session.begin():
            await session.exec(
                update(PipelineStep)
                .where(col(PipelineStep.project_id) == mark.project_id)
                .where(col(PipelineStep.step_key) == mark.step.value)
                .values(
                    status=mark.status,
                    error_message=mark.error,
                    updated_at=func.now(),
                    finished_at=func.now(),
                )
            )

    @activity.defn
    async def start_pipeline(self, change: StatusChange) -> None:
        """Fresh queued rows for a new run, and the project's status, in one transaction."""
        rows = [
            {
                "id": uuid.uuid4(),
                "project_id": change.project_id,
                "step_key": s.value,
                "step_order": step_order(s),
                "status": StepStatus.QUEUED,
            }
            for s in PIPELINE_STEPS
        ]
        stmt = insert(PipelineStep).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["project_id", "step_key"],
            set_={
                "status": StepStatus.QUEUED,
                "started_at": None,
                "finished_at": None,
                "duration_seconds": None,
                "retry_count": 0,
                "error_message": None,
                "error_details": None,
                "details": None,
                "output_ref": None,
                "updated_at": func.now(),
            },
        )
        async with self.sessions() as session, session.begin():
            await session.execute(stmt)
            await session.execute(
                delete(PipelineStep)
                .where(col(PipelineStep.project_id) == change.project_id)
                .where(col(PipelineStep.step_key).not_in([s.value for s in PIPELINE_STEPS]))
            )
            await session.exec(
                update(Project)
                .where(col(Project.id) == change.project_id)
                .values(status=change.status.value, waiting_for=None, updated_at=func.now())
            )
