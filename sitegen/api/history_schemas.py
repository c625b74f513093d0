"""The version history's API shapes: entries with their diffs, and a revert's answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from sitegen.api.schemas import Person, StrictBody
from sitegen.contracts.design import HistoryEntry

__all__ = ["HistoryEntry", "RevertAccepted", "RevertCreate"]


class RevertCreate(StrictBody):
    message: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = Field(default=None, description="Why; recorded with the new version.")
    requested_by: Person | None = None


class RevertAccepted(BaseModel):
    history_version: int
    artifact: str
    artifact_version: int
    # "revision": queued like a revision of the live preview (a new site version follows);
    # "plan": made at once on the plan waiting for sign-off.
    applied_as: Literal["revision", "plan"]
    revision_id: uuid.UUID | None = None
    position: int | None = None
    plan_version: int | None = None
    reason: str | None = Field(default=None, description="why a plan revert was refused")
