"""The periodic cleanup: what the workflow is given, what each rule reports, what a run did."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

CLEANUP_WORKFLOW_NAME = "CleanupWorkflow"


def cleanup_schedule_id(task_queue: str) -> str:
    # One schedule per deployment (its task queue): `sitegen-cleanup` on the default one.
    return f"{task_queue}-cleanup"


class CleanupRule(StrEnum):
    CANCELLED_PREVIEWS = "cancelled_previews"
    BUILD_DIRS = "build_dirs"
    ABANDONED_CONVERSATIONS = "abandoned_conversations"


class CleanupInput(BaseModel):
    """Each rule's age in days; 0 turns the rule off."""

    cancelled_preview_days: int = Field(default=30, ge=0)
    build_dir_days: int = Field(default=7, ge=0)
    conversation_days: int = Field(default=30, ge=0)

    def rules(self) -> dict[CleanupRule, int]:
        return {
            CleanupRule.CANCELLED_PREVIEWS: self.cancelled_preview_days,
            CleanupRule.BUILD_DIRS: self.build_dir_days,
            CleanupRule.ABANDONED_CONVERSATIONS: self.conversation_days,
        }


class StartRunInput(BaseModel):
    # The run's workflow id: a retried start finds the row it already wrote.
    run_key: str
    rules: dict[str, int]


class RuleInput(BaseModel):
    older_than_days: int = Field(ge=1)


class RuleOutcome(BaseModel):
    removed: int = 0


class FinishRunInput(BaseModel):
    run_key: str
    counts: dict[str, int] = Field(default_factory=dict)
    errors: dict[str, str] = Field(default_factory=dict)


class CleanupReport(BaseModel):
    run_key: str
    counts: dict[str, int] = Field(default_factory=dict)
    errors: dict[str, str] = Field(default_factory=dict)
