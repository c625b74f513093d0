"""Everything a project remembers after its first preview, carried across continue-as-new."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from sitegen.contracts.activities import RepoOutcome
from sitegen.contracts.pipeline import CarriedLife, PipelineState
from sitegen.contracts.review import (
    ApprovalRequested,
    ArtifactCounters,
    PendingChange,
    SiteArtifacts,
    VersionInfo,
)


class LifeState(BaseModel):
    pipeline: PipelineState
    # The generation these runs belong to (see ProjectRef.generation).
    generation: str
    subdomain: str
    # The preview's address, baked into every build (canonical links, sitemap.xml).
    site_url: str | None = None
    # Where the site goes live once approved (the production build is made for it).
    production_url: str | None = None
    repo: RepoOutcome
    # The artifacts behind the live version, which the next revision starts from.
    site: SiteArtifacts
    # Preview branch head: where the next patch applies.
    head: str
    versions: list[VersionInfo] = Field(default_factory=list)
    queue: list[PendingChange] = Field(default_factory=list)
    counters: ArtifactCounters = Field(default_factory=ArtifactCounters)
    approval: ApprovalRequested | None = None
    # The preview has been waiting for the client since then; reminders go out once each.
    review_since: datetime | None = None
    reminded_client: bool = False
    alerted_workspace: bool = False
    changes_done: int = 0
    # Every change handled so far, so a retried request is recognised in a later run too.
    handled: list[uuid.UUID] = Field(default_factory=list)
    # How often each step has failed for good: keys the operator alerts, so none collide.
    failures: dict[str, int] = Field(default_factory=dict)

    def carry(self) -> CarriedLife:
        return CarriedLife(data=self.model_dump(mode="json"))

    @classmethod
    def from_carried(cls, carried: CarriedLife) -> LifeState:
        return cls.model_validate(carried.data)

    @property
    def live(self) -> VersionInfo | None:
        return self.versions[-1] if self.versions else None

    def version(self, number: int) -> VersionInfo | None:
        return next((v for v in self.versions if v.number == number), None)
