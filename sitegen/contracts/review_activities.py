"""Inputs and outputs of the activities that run after the first preview: revisions,
rollbacks, plan changes, delivery, and the bookkeeping around them."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from sitegen.contracts.activities import ArtifactRef, ProjectRef, RepoOutcome
from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.review import (
    ArtifactCounters,
    PlanRevisionRequested,
    RevisionRequested,
    SiteArtifacts,
)
from sitegen.contracts.status import RevisionStatus


class RevisionStepInput(BaseModel):
    project: ProjectRef
    revision: RevisionRequested
    site: SiteArtifacts
    repo_ref: str = Field(description="the preview branch head the patch applies to")
    # Version numbers to use if the revision changes these artifacts (last used + 1).
    next_versions: ArtifactCounters


class RevisionOutcome(BaseModel):
    accepted: bool
    reason: str | None = None
    summary: str = ""
    changes: list[str] = Field(default_factory=list)
    patch: ArtifactRef | None = None
    # The site's artifacts after the change (the same as the input when refused).
    site: SiteArtifacts
    changed: list[str] = Field(
        default_factory=list, description="artifact kinds that got a new version"
    )


class PlanRevisionInput(BaseModel):
    project: ProjectRef
    request: PlanRevisionRequested
    site: SiteArtifacts
    next_versions: ArtifactCounters


class RestoreInput(BaseModel):
    """Put the tree of an earlier commit back on the preview branch, as a new commit."""

    project: ProjectRef
    repo: RepoOutcome
    source_sha: str
    reason: str
    change_id: uuid.UUID
    # Keeps a rollback's own commit apart from putting the live files back after it failed.
    purpose: str = "rollback"


class MergeInput(BaseModel):
    project: ProjectRef
    repo: RepoOutcome


class ProductionDeployInput(BaseModel):
    project: ProjectRef
    dist_key: str
    sha: str
    subdomain: str


class ProductionDeployOutcome(BaseModel):
    deploy_id: str
    url: str


class TakeDownInput(BaseModel):
    project: ProjectRef


class RevisionRecord(BaseModel):
    """A revision the workflow accepted: stored as pending before the update returns."""

    project_id: uuid.UUID
    revision: RevisionRequested


class RevisionMark(BaseModel):
    project_id: uuid.UUID
    revision_ids: list[uuid.UUID]
    status: RevisionStatus
    reason: str | None = None
    summary: str | None = None
    # When applied: the commit that carries it and the stored patch.
    commit: str | None = None
    diff_ref: str | None = None


class ApprovalRecord(BaseModel):
    """Who approved the site for delivery, with their note, kept on the project."""

    project_id: uuid.UUID
    approved_by: str
    note: str | None = None
    version: int | None = None


class DecisionRecord(BaseModel):
    """Who decided what about a failed step, and when (the step row keeps it)."""

    project_id: uuid.UUID
    step: StepKey
    action: str
    decided_by: str | None = None
    note: str | None = None


class Notice(BaseModel):
    """A message to the client or the agency about the project's life (outbox row)."""

    project: ProjectRef
    audience: str = Field(pattern="^(client|workspace)$")
    kind: str = Field(max_length=50)
    # Makes the outbox row unique: a retry, or a replay, sends nothing twice.
    key: str
    data: dict[str, Any] = Field(default_factory=dict)
