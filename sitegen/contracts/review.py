"""What clients and operators send a project once its preview is live, and what the workflow
remembers about it: revisions, rollbacks, plan sign-off, approval and the site's versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from sitegen.contracts.design import RevertTarget
from sitegen.contracts.revision import RevisionMessage
from sitegen.contracts.site import Identifier
from sitegen.contracts.status import RevisionSource

# Who asked or decided: a name, an e-mail or a user id. Never a secret.
Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]

# Changes waiting behind the one in progress. Each is one update, and Temporal allows ten
# in flight and two thousand per run; the queue bound keeps a burst well inside both.
MAX_QUEUED_CHANGES = 20
# What a run waits for while the client signs off the plan (the project's `waiting_for`).
WAITING_FOR_PLAN = "plan approval"


class RevisionRequested(BaseModel):
    """Update `request_revision`: the API made the id; the workflow stores and queues it."""

    revision_id: uuid.UUID
    source: RevisionSource = RevisionSource.CLIENT
    message: RevisionMessage
    affected_pages: list[Identifier] = Field(default_factory=list, max_length=10)
    requested_by: Actor | None = None
    # A revert from the version history: the change puts that version back, no model asked.
    revert: RevertTarget | None = None


class RollbackRequested(BaseModel):
    """Update `rollback`: make version `version` current again, as a new version."""

    change_id: uuid.UUID
    version: int = Field(ge=1)
    requested_by: Actor | None = None


class ChangeQueued(BaseModel):
    change_id: uuid.UUID
    # 1 = next in line (or already being worked on when nothing else is waiting).
    position: int = Field(ge=1)


class ApprovalRequested(BaseModel):
    """Update `approve`: ship the current preview to production."""

    approved_by: Actor
    note: Note | None = None


class ApprovalAccepted(BaseModel):
    already_approved: bool
    # Changes still queued when the approval came; they are applied before delivery.
    changes_before_delivery: int = 0


class PlanApproval(BaseModel):
    """Update `approve_plan`: the client signs off the brief and sitemap."""

    approved_by: Actor


class PlanRevisionRequested(BaseModel):
    """Update `revise_plan`: change the plan (pages, services, colours, contact) first."""

    message: RevisionMessage
    requested_by: Actor | None = None
    revert: RevertTarget | None = None


class PlanDecisionAccepted(BaseModel):
    approved: bool
    # The sitemap version the client signed off or will see next.
    plan_version: int
    reason: str | None = Field(default=None, description="why a plan change was refused")
    summary: str | None = None


class ChangeKind(StrEnum):
    REVISION = "revision"
    ROLLBACK = "rollback"


class PendingChange(BaseModel):
    """One entry of the workflow's queue of changes, applied strictly in order."""

    kind: ChangeKind
    change_id: uuid.UUID
    revision: RevisionRequested | None = None
    rollback_to: int | None = None
    requested_by: Actor | None = None


class VersionKind(StrEnum):
    GENERATION = "generation"
    REVISION = "revision"
    ROLLBACK = "rollback"


class SiteArtifacts(BaseModel):
    """Where the artifacts behind one version of the site live in storage."""

    spec_key: str
    spec_version: int = 1
    sitemap_key: str
    content_key: str
    layout_key: str
    pages: list[Identifier] = Field(default_factory=list)


class VersionInfo(BaseModel):
    """A deployed version of the preview. Number 1 is the first preview."""

    number: int = Field(ge=1)
    kind: VersionKind
    commit: str
    deploy_id: str
    url: str
    revision_id: uuid.UUID | None = None
    rolled_back_to: int | None = None
    requested_by: Actor | None = None
    created_at: datetime
    site: SiteArtifacts


class ArtifactCounters(BaseModel):
    """The last version number used per artifact kind (0: none yet), so that every new
    artifact gets a unique version and a retried step reuses its own."""

    spec: int = 0
    brief: int = 0
    sitemap: int = 0
    content: int = 0
    layout: int = 0
    code_patch: int = 0
    build_report: int = 0
    # Site versions count on across generations, each number used once.
    version: int = 0

    def take(self, kind: str) -> int:
        value: int = getattr(self, kind) + 1
        setattr(self, kind, value)
        return value

    def following(self) -> ArtifactCounters:
        """The numbers the next new artifacts would get, without taking them."""
        return ArtifactCounters(**{k: v + 1 for k, v in self.model_dump().items()})


class ChangeRefused(ValueError):
    """A validator's refusal. Temporal carries the class name as the failure's type, so the
    API can tell the client which field the reason is about."""

    field = "project"


class UnknownPage(ChangeRefused):
    field = "affected_pages"


class VersionRefused(ChangeRefused):
    field = "version"


REFUSAL_FIELDS = {cls.__name__: cls.field for cls in (ChangeRefused, UnknownPage, VersionRefused)}
