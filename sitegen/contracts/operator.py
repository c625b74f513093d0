"""What operators and clients send to a running generation: signals and updates."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from sitegen.contracts.pipeline import StepKey


class FailureAction(StrEnum):
    RETRY = "retry"
    SKIP = "skip"
    ABORT = "abort"


class OperatorDecision(BaseModel):
    """Update `resolve_failure`: what to do with the step that failed for good."""

    step: StepKey
    action: FailureAction
    note: str | None = Field(default=None, max_length=500)
    # Who decided (a name or user id); recorded on the step with the time.
    decided_by: str | None = Field(default=None, max_length=255)


class DecisionAccepted(BaseModel):
    step: StepKey
    action: FailureAction


class CancelRequest(BaseModel):
    reason: str = Field(default="cancelled", max_length=500)


# Steps whose output nothing downstream needs: an operator may skip them.
SKIPPABLE_STEPS: frozenset[StepKey] = frozenset(
    {
        StepKey.DOWNLOAD_ASSETS,
        StepKey.GENERATE_BRIEF,
        StepKey.PROVISION_SUBDOMAIN,
        StepKey.NOTIFY_CLIENT,
        StepKey.NOTIFY_WORKSPACE,
    }
)
