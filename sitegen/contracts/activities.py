"""Inputs and outputs of the pipeline's activities: ids, storage keys and small summaries.

Large payloads (copy, patches, builds) live in storage; only their keys cross Temporal.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.status import ArtifactType, ProjectStatus, StepStatus

# The error type of an activity that could not reach the database: the workflow waits for
# it to come back instead of asking an operator.
DEPENDENCY_DOWN = "DependencyUnavailable"


class ProjectRef(BaseModel):
    project_id: uuid.UUID
    workflow_id: str
    slug: str
    template_id: str
    # One generation of the site: the first run id of its chain of runs. It stays the same
    # across retries and continue-as-new, and differs when the project is generated again.
    generation: str = ""

    def key(self, step: StepKey | str, *parts: object) -> str:
        """Idempotency key: workflow id + generation + step (+ round), never the run id."""
        head = [self.workflow_id, self.generation] if self.generation else [self.workflow_id]
        return "/".join([*head, str(step), *(str(p) for p in parts)])


class FieldError(BaseModel):
    field: str
    reason: str


class ValidationOutcome(BaseModel):
    valid: bool
    revision: int
    errors: list[FieldError] = Field(default_factory=list)
    subdomain: str | None = None
    # The validated form, frozen in storage: later steps read this, never the live row,
    # so a resubmission cannot change a generation that is already running.
    onboarding_key: str | None = None


class OnboardingStepInput(BaseModel):
    """A step that reads the onboarding: the validated snapshot when there is one."""

    project: ProjectRef
    onboarding_key: str | None = None


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
    # What the artifact lists, when the workflow needs it: a sitemap's page ids.
    items: list[str] = Field(default_factory=list)


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
    # Which change the patch belongs to ("" for the first generation, else its id).
    change: str = ""


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
    # The build report's artifact version (unique per project); `attempt` when unset.
    report_version: int | None = Field(default=None, ge=1)
    # The production build reports under its own step.
    step: StepKey = StepKey.BUILD_AND_TEST


class BuildOutcome(BaseModel):
    ok: bool
    report: ArtifactRef
    dist_key: str | None = None
    duration_seconds: float
    pages: int = 0
    # What failed, as a digest: the same twice in a row means the fix loop made no progress.
    findings: str = ""
    # False when a sandbox limit stopped the build: no patch can fix that.
    fixable: bool = True


class NewVersion(BaseModel):
    """What a preview deploy records as a version of the site (with its immutable URL)."""

    number: int = Field(ge=1)
    kind: str
    subdomain: str
    revision_id: uuid.UUID | None = None
    rolled_back_to: int | None = None
    requested_by: str | None = None
    spec_version: int = 1
    artifact_keys: dict[str, str] = Field(default_factory=dict)
    diff_ref: str | None = None
    summary: str | None = None


class DeployInput(BaseModel):
    project: ProjectRef
    dist_key: str
    sha: str
    version: NewVersion | None = None


class DeployOutcome(BaseModel):
    deploy_id: str
    url: str
    created: bool
    version_url: str | None = None


class SubdomainInput(BaseModel):
    project: ProjectRef
    subdomain: str


class SubdomainOutcome(BaseModel):
    hostname: str
    url: str
    created: bool
    # The address the site will have in production, known once the subdomain is.
    production_url: str | None = None


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
    production_url: str | None = None
    # Who must act next, in a word or two ("onboarding correction", "review"); always
    # written, so a status change with None clears it.
    waiting_for: str | None = None


class StepMark(BaseModel):
    """A step the workflow (not the step's own activity) decided about: failed or skipped."""

    project_id: uuid.UUID
    step: StepKey
    status: StepStatus
    error: str | None = None
    attempts: int = 0
