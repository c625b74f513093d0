"""What every step's activity shares: its pipeline_step row, heartbeats, and artifacts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from sitegen.activities.log_context import bind_step
from sitegen.contracts.activities import (
    DEPENDENCY_DOWN,
    ArtifactRef,
    OnboardingStepInput,
    SpecRef,
)
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.pipeline import StepKey, step_order
from sitegen.contracts.site import AIUsage, SiteSpec
from sitegen.contracts.status import ArtifactType, StepStatus
from sitegen.db import queries
from sitegen.db.engine import Sessions
from sitegen.db.errors import database_unavailable
from sitegen.db.tables import Artifact, PipelineStep, SiteSpecRecord
from sitegen.integrations.ai.base import PatchScopeError
from sitegen.integrations.ai.ledger import CallScope, call_scope
from sitegen.integrations.build.runner import SandboxUnavailable
from sitegen.integrations.git.base import GitHostDenied, GitHostUnavailable, InvalidGitName
from sitegen.integrations.hosting.base import InvalidSiteName, SubdomainTaken, VersionPinned
from sitegen.integrations.storage.base import (
    ObjectNotFound,
    Storage,
    StorageMisconfigured,
    StorageUnavailable,
)
from sitegen.templates_registry import TemplateManifest, TemplateNotFoundError, load_template

M = TypeVar("M", bound=BaseModel)


def bad_input(kind: str, message: str) -> ApplicationError:
    """Retrying cannot fix this: fail the attempt for good, with a type operators can filter."""
    return ApplicationError(message, type=kind, non_retryable=True)


# Errors that mean the same input will fail the same way: no retry can help.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    InvalidSiteName,
    SubdomainTaken,
    VersionPinned,
    InvalidGitName,
    PatchScopeError,
    TemplateNotFoundError,
    ValidationError,
    SandboxUnavailable,  # this host cannot sandbox builds: a setting must change, not luck
    GitHostDenied,  # the git host refused our token, org or template: a setting must change
    StorageMisconfigured,  # storage refused our credentials, bucket or region: same
)


def classify(error: Exception) -> Exception:
    """What Temporal should do with an activity's error. A database that cannot be reached
    is waited for (retryable, a type the workflow knows); a deterministic error is final."""
    if isinstance(error, ApplicationError):
        return error
    # Before the database check: a refused storage connection also looks like a
    # ConnectionError somewhere down its chain.
    if isinstance(error, StorageUnavailable):
        return ApplicationError(f"storage is unavailable: {error}", type=DEPENDENCY_DOWN)
    if isinstance(error, GitHostUnavailable):
        # Down or rate-limited: waited for like any dependency, no sooner than it asked.
        wait = timedelta(seconds=min(error.retry_after, 3600)) if error.retry_after else None
        return ApplicationError(
            f"the git host is unavailable: {error}", type=DEPENDENCY_DOWN, next_retry_delay=wait
        )
    if database_unavailable(error):
        return ApplicationError(
            f"the database is unavailable ({type(error).__name__})", type=DEPENDENCY_DOWN
        )
    if isinstance(error, PERMANENT_ERRORS):
        return bad_input(type(error).__name__, str(error)[:2000])
    return error


async def template_for(templates_dir: Path, template_id: str) -> TemplateManifest:
    """The template's manifest, read and validated off the event loop."""
    return await asyncio.to_thread(load_template, templates_dir, template_id)


async def read_onboarding(
    sessions: Sessions, storage: Storage, step: OnboardingStepInput
) -> Onboarding | None:
    """The onboarding a generation was validated with: its frozen snapshot. Runs that
    predate snapshots read the submission row."""
    if step.onboarding_key is not None:
        return Onboarding.model_validate_json(await storage.get(step.onboarding_key))
    async with sessions() as session:
        submission = await queries.get_onboarding(session, step.project.project_id)
    if submission is None or not submission.is_valid:
        return None
    return Onboarding.model_validate(submission.raw_data)


@contextlib.asynccontextmanager
async def heartbeating(every: float = 2.0) -> AsyncIterator[None]:
    """Heartbeat while the body runs, so a dead worker is noticed within the heartbeat
    timeout instead of the (much longer) start-to-close timeout."""

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(every)

    task = asyncio.create_task(beat()) if activity.in_activity() else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass
class StepRun:
    output_ref: str | None = None
    usage: AIUsage | None = None
    details: dict[str, Any] | None = None
    # MANUAL when the step ran but a person must act before the pipeline can go on.
    status: StepStatus = StepStatus.SUCCESS
    message: str | None = None


def _scope(project_id: uuid.UUID, step: StepKey, revision_id: uuid.UUID | None) -> CallScope:
    if activity.in_activity():
        info = activity.info()
        # The run: within it, the same question is paid for once (keys add the request's
        # digest), whether the step is retried by Temporal or by an operator.
        prefix = f"{info.workflow_id}/{info.workflow_run_id}"
        attempt = info.attempt
    else:
        prefix, attempt = f"direct/{uuid.uuid4()}", 1
    return CallScope(project_id, step.value, attempt, prefix, revision_id)


class StepTracker:
    """Writes the step's pipeline_step row from inside its own activity: no extra round
    trip to Temporal, and the row is right even when the workflow is not running."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    @contextlib.asynccontextmanager
    async def track(
        self, project_id: uuid.UUID, step: StepKey, revision_id: uuid.UUID | None = None
    ) -> AsyncIterator[StepRun]:
        """The step's row, and the scope its AI calls are charged to (the cost ledger).
        Log lines from here on name this step (the activity's own name may differ)."""
        bind_step(step.value)
        try:
            async with self._tracked(project_id, step) as run:
                with call_scope(_scope(project_id, step, revision_id)):
                    yield run
        except Exception as exc:
            translated = classify(exc)
            if translated is exc:
                raise
            raise translated from None

    @contextlib.asynccontextmanager
    async def _tracked(self, project_id: uuid.UUID, step: StepKey) -> AsyncIterator[StepRun]:
        attempt = activity.info().attempt if activity.in_activity() else 1
        await self._running(project_id, step, attempt)
        run = StepRun()
        try:
            async with heartbeating():
                yield run
        except asyncio.CancelledError:
            # The project was cancelled while this step ran: the row says so, not "running".
            with contextlib.suppress(Exception):
                await self._finish(project_id, step, StepStatus.SKIPPED, message="cancelled")
            raise
        except Exception as exc:
            message = exc.message if isinstance(exc, ApplicationError) else str(exc)
            with contextlib.suppress(Exception):  # the original error matters more
                await self._finish(
                    project_id,
                    step,
                    StepStatus.FAILED,
                    error=f"{type(exc).__name__}: {message}"[:4000],
                )
            raise
        details = dict(run.details or {})
        if run.usage is not None:
            details["ai_usage"] = run.usage.model_dump(mode="json")
        await self._finish(
            project_id,
            step,
            run.status,
            output_ref=run.output_ref,
            details=details or None,
            message=run.message,
        )

    async def _running(self, project_id: uuid.UUID, step: StepKey, attempt: int) -> None:
        stmt = insert(PipelineStep).values(
            id=uuid.uuid4(),
            project_id=project_id,
            step_key=step.value,
            step_order=step_order(step),
            status=StepStatus.RUNNING,
            started_at=func.now(),
            retry_count=attempt - 1,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["project_id", "step_key"],
            set_={
                "status": StepStatus.RUNNING,
                # Keep the first attempt's start: duration covers retries too.
                "started_at": func.coalesce(text("pipeline_step.started_at"), func.now())
                if attempt > 1
                else func.now(),
                "finished_at": None,
                "retry_count": attempt - 1,
                "error_message": None,
                "updated_at": func.now(),
            },
        )
        async with self.sessions() as session, session.begin():
            await session.execute(stmt)

    async def _finish(
        self,
        project_id: uuid.UUID,
        step: StepKey,
        status: StepStatus,
        *,
        output_ref: str | None = None,
        error: str | None = None,
        details: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "finished_at": func.now(),
            "duration_seconds": func.extract("epoch", func.now() - col(PipelineStep.started_at)),
            "error_message": error or message,
            "updated_at": func.now(),
        }
        if output_ref is not None:
            values["output_ref"] = output_ref
        if details is not None:
            values["details"] = details
        if error is not None:
            values["error_details"] = {"error": error}
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(PipelineStep)
                .where(col(PipelineStep.project_id) == project_id)
                .where(col(PipelineStep.step_key) == step.value)
                .values(**values)
            )


class ArtifactStore:
    """Artifacts: bytes in storage under a fixed key, indexed in `artifact` by version.
    Writing the same (project, type, version) twice is a no-op, so retries are safe."""

    MIME = {
        "md": "text/markdown; charset=utf-8",
        "json": "application/json",
        "diff": "text/x-diff; charset=utf-8",
        "tar.gz": "application/gzip",
        "png": "image/png",
    }

    def __init__(self, sessions: Sessions, storage: Storage) -> None:
        self.sessions = sessions
        self.storage = storage

    @staticmethod
    def key(project_id: uuid.UUID, name: str) -> str:
        return f"projects/{project_id}/artifacts/{name}"

    async def save(
        self,
        project_id: uuid.UUID,
        kind: ArtifactType,
        version: int,
        name: str,
        ext: str,
        data: bytes,
        inline: dict[str, Any] | None = None,
    ) -> ArtifactRef:
        key = self.key(project_id, f"{name}_v{version}.{ext}")
        mime = self.MIME[ext]
        stored = await self.storage.put(key, data, mime)
        stmt = insert(Artifact).values(
            id=uuid.uuid4(),
            project_id=project_id,
            type=kind,
            version=version,
            storage_ref=key,
            inline_content=inline,
            file_size=stored.size,
            mime_type=mime,
            sha256=stored.sha256,
        )
        # Same bytes on a retry: keep the row. A regenerated artifact (new content for the
        # same version after an operator retry) replaces the index entry with the new hash.
        stmt = stmt.on_conflict_do_update(
            index_elements=["project_id", "type", "version"],
            set_={
                "storage_ref": key,
                "file_size": stored.size,
                "sha256": stored.sha256,
                "inline_content": inline,
            },
        )
        async with self.sessions() as session, session.begin():
            await session.execute(stmt)
        return ArtifactRef(type=kind, version=version, storage_key=key, size=stored.size)

    async def save_model(
        self, project_id: uuid.UUID, kind: ArtifactType, version: int, name: str, model: BaseModel
    ) -> ArtifactRef:
        data = model.model_dump_json(indent=2).encode()
        # Small JSON documents are also kept inline for quick reads in SQL.
        inline = json.loads(data) if len(data) < 16_384 else None
        return await self.save(project_id, kind, version, name, "json", data, inline)

    async def save_spec(self, project_id: uuid.UUID, version: int, spec: SiteSpec) -> SpecRef:
        """A site spec version: its row in `site_spec` and its file in storage."""
        stmt = insert(SiteSpecRecord).values(
            project_id=project_id, version=version, spec_data=spec.model_dump(mode="json")
        )
        async with self.sessions() as session, session.begin():
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["project_id", "version"],
                    set_={"spec_data": stmt.excluded.spec_data},
                )
            )
        key = self.key(project_id, f"site_spec_v{version}.json")
        await self.storage.put(key, spec.model_dump_json(indent=2).encode(), "application/json")
        return SpecRef(storage_key=key, version=version)

    async def load(self, key: str, model: type[M]) -> M:
        try:
            data = await self.storage.get(key)
        except ObjectNotFound:
            raise bad_input("ArtifactInvalid", f"artifact {key} is missing from storage") from None
        try:
            return model.model_validate_json(data)
        except ValidationError as exc:
            raise bad_input("ArtifactInvalid", f"artifact {key} is invalid: {exc}") from None
