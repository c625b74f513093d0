"""Inputs and outputs of the pipeline's activities: ids, storage keys and small summaries.

Large payloads (copy, patches, builds) live in storage; only their keys cross Temporal.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.status import ArtifactType, ProjectStatus, StepStatus


class ProjectRef(BaseModel):
    project_id: uuid.UUID
    workflow_id: str
    slug: str
    template_id: str

    def key(self, step: StepKey | str, *parts: object) -> str:
        """Idempotency key: workflow id + step (+ round), never the run id."""
        return "/".join([self.workflow_id, str(step), *(str(p) for p in parts)])


class FieldError(BaseModel):
    field: str
    reason: str


class ValidationOutcome(BaseModel):
    valid: bool
    revision: int
    errors: list[FieldError] = Field(default_factory=list)
    subdomain: str | None = None


class AssetFailure(BaseModel):
    alt: str
    reason: str


class AssetsOutcome(BaseModel):
    stored: list[str] = Field(default_factory=list, description="storage keys")
    failures: list[AssetFailure] = Field(default_factory=list)


class ArtifactRef(BaseModel):
    type: ArtifactType
    version: int
    storage_key: str
    size: int


class SpecRef(BaseModel):
    storage_key: str
    version: int


class AIStepInput(BaseModel):
    """An AI step reads the artifacts it needs from storage by key."""

    project: ProjectRef
    spec_key: str
    sitemap_key: str | None = None
    content_key: str | None = None
    layout_key: str | None = None
    build_report_key: str | None = None
    repo_ref: str | None = Field(default=None, description="branch or sha to read files from")
    version: int = 1


class RepoOutcome(BaseModel):
    repo_name: str
    repo_url: str
    branch: str
    head: str


class SetupInput(BaseModel):
    project: ProjectRef
    repo: RepoOutcome
    asset_keys: list[str] = Field(default_factory=list)


class ApplyPatchInput(BaseModel):
    project: ProjectRef
    repo: RepoOutcome
    patch: ArtifactRef
    round: int = Field(description="0 for the first patch, n for the n-th fix")


class CommitOutcome(BaseModel):
    sha: str
    created: bool
    files_changed: int = 0


class BuildInput(BaseModel):
    project: ProjectRef
    repo: RepoOutcome
    sha: str
    attempt: int = Field(ge=1)
    site_url: str | None = Field(default=None, description="absolute URL the site is served at")


class BuildOutcome(BaseModel):
    ok: bool
    report: ArtifactRef
    dist_key: str | None = None
    duration_seconds: float
    pages: int = 0


class DeployInput(BaseModel):
    project: ProjectRef
    dist_key: str
    sha: str


class DeployOutcome(BaseModel):
    deploy_id: str
    url: str
    created: bool


class SubdomainInput(BaseModel):
    project: ProjectRef
    subdomain: str


class SubdomainOutcome(BaseModel):
    hostname: str
    url: str
    created: bool


class NotifyInput(BaseModel):
    project: ProjectRef
    preview_url: str
    asset_failures: list[AssetFailure] = Field(default_factory=list)


class NotifyOutcome(BaseModel):
    notification_id: uuid.UUID
    created: bool


class AttentionNeeded(BaseModel):
    project: ProjectRef
    step: StepKey
    error: str
    occurrence: int = Field(ge=1, description="how many times this step has failed for good")


class StatusChange(BaseModel):
    project_id: uuid.UUID
    status: ProjectStatus
    preview_url: str | None = None
    repo_url: str | None = None
    subdomain: str | None = None


class StepMark(BaseModel):
    """A step the workflow (not the step's own activity) decided about: failed or skipped."""

    project_id: uuid.UUID
    step: StepKey
    status: StepStatus
    error: str | None = None
    attempts: int = 0
