"""The workflow's contract: its input, its live state, and the steps it runs, in order."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from sitegen.contracts.status import ProjectStatus, StepStatus

WORKFLOW_NAME = "SiteGenerationWorkflow"


def workflow_id_for(slug: str) -> str:
    # From the project, never random: a second `generate` finds the running one.
    return f"site-{slug}"


class StepKey(StrEnum):
    VALIDATE_ONBOARDING = "validate_onboarding"
    DOWNLOAD_ASSETS = "download_assets"
    CREATE_SITE_SPEC = "create_site_spec"
    GENERATE_BRIEF = "generate_brief"
    GENERATE_SITEMAP = "generate_sitemap"
    GENERATE_CONTENT = "generate_content"
    PROVISION_REPOSITORY = "provision_repository"
    SETUP_PROJECT_STRUCTURE = "setup_project_structure"
    GENERATE_LAYOUT_PLAN = "generate_layout_plan"
    GENERATE_CODE_PATCH = "generate_code_patch"
    APPLY_PATCH = "apply_patch"
    BUILD_AND_TEST = "build_and_test"
    DEPLOY_PREVIEW = "deploy_preview"
    PROVISION_SUBDOMAIN = "provision_subdomain"
    NOTIFY_CLIENT = "notify_client"
    NOTIFY_WORKSPACE = "notify_workspace"
    # Only when a build fails: runs between build_and_test attempts.
    GENERATE_FIX_PATCH = "generate_fix_patch"
    # After the first preview: revisions, rollbacks and delivery.
    GENERATE_REVISION_PATCH = "generate_revision_patch"
    REVISE_PLAN = "revise_plan"
    RESTORE_VERSION = "restore_version"
    MERGE_TO_MAIN = "merge_to_main"
    BUILD_PRODUCTION = "build_production"
    DEPLOY_PRODUCTION = "deploy_production"


# Steps that are not part of the first generation, in the order they show after it.
_LATER_STEPS = (
    StepKey.GENERATE_FIX_PATCH,
    StepKey.REVISE_PLAN,
    StepKey.GENERATE_REVISION_PATCH,
    StepKey.RESTORE_VERSION,
    StepKey.MERGE_TO_MAIN,
    StepKey.BUILD_PRODUCTION,
    StepKey.DEPLOY_PRODUCTION,
)


# Seed 002 §3.3's order; it is also the pipeline_step.step_order of each row.
PIPELINE_STEPS: tuple[StepKey, ...] = tuple(s for s in StepKey if s not in _LATER_STEPS)
# Where the later steps sort in the pipeline view (pipeline_step.step_order).
_LATER_ORDER = {
    StepKey.GENERATE_FIX_PATCH: StepKey.BUILD_AND_TEST,
    StepKey.REVISE_PLAN: StepKey.GENERATE_SITEMAP,
}


def step_order(step: StepKey) -> int:
    if step in _LATER_ORDER:
        return PIPELINE_STEPS.index(_LATER_ORDER[step]) + 1
    if step in _LATER_STEPS:
        return len(PIPELINE_STEPS) + _LATER_STEPS.index(step)
    return PIPELINE_STEPS.index(step) + 1


class ReviewTimers(BaseModel):
    """How long a preview may wait for the client before someone is nudged."""

    remind_client_after: timedelta = timedelta(days=3)
    alert_workspace_after: timedelta = timedelta(days=14)


class GenerateSiteInput(BaseModel):
    project_id: uuid.UUID
    slug: str
    customer_id: uuid.UUID
    template_id: str
    max_fix_attempts: int = Field(default=3, ge=0, le=10)
    # The client signs off the brief and sitemap before any page is written.
    plan_approval: bool = False
    # The number of this generation's first version (later generations go on counting).
    first_version: int = Field(default=1, ge=1)
    review: ReviewTimers = Field(default_factory=ReviewTimers)
    # Continue as new once history passes this many events (0: when Temporal suggests).
    history_limit: int = Field(default=0, ge=0)
    # While waiting for a corrected form, look at the stored one this long after the last
    # look (doubling up to an hour), in case the API's signal was lost.
    correction_check_after: timedelta = Field(default=timedelta(minutes=1))
    # Set only by continue-as-new: everything the project has lived through so far.
    carried: CarriedLife | None = None


class StepState(BaseModel):
    step: StepKey
    status: StepStatus = StepStatus.QUEUED
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    output_ref: str | None = None


class PipelineState(BaseModel):
    """What the `state` query returns: the run as the operator sees it, live."""

    project_id: uuid.UUID
    status: ProjectStatus = ProjectStatus.PENDING
    steps: list[StepState] = Field(default_factory=list)
    preview_url: str | None = None
    validation_errors: list[dict[str, str]] = Field(default_factory=list)
    fix_attempts: int = 0
    waiting_for: str | None = None
    current_version: int | None = None
    queued_changes: int = 0
    # The change being worked on, e.g. "revision 3 of 5".
    working_on: str | None = None
    approved: bool = False
    production_url: str | None = None


class CarriedLife(BaseModel):
    """A project's state across continue-as-new. Kept as opaque JSON here so the pipeline
    contract does not depend on the review contracts; the workflow validates it."""

    data: dict[str, Any]


class OnboardingCorrected(BaseModel):
    """Signal: the client sent a corrected onboarding form (stored as `revision`)."""

    revision: int
