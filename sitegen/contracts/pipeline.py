"""The workflow's contract: its input, its live state, and the steps it runs, in order."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

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


# Seed 002 §3.3's order; it is also the pipeline_step.step_order of each row.
PIPELINE_STEPS: tuple[StepKey, ...] = tuple(s for s in StepKey if s != StepKey.GENERATE_FIX_PATCH)


def step_order(step: StepKey) -> int:
    if step == StepKey.GENERATE_FIX_PATCH:
        return PIPELINE_STEPS.index(StepKey.BUILD_AND_TEST) + 1
    return PIPELINE_STEPS.index(step) + 1


class GenerateSiteInput(BaseModel):
    project_id: uuid.UUID
    slug: str
    customer_id: uuid.UUID
    template_id: str
    max_fix_attempts: int = Field(default=3, ge=0, le=10)


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


class OnboardingCorrected(BaseModel):
    """Signal: the client sent a corrected onboarding form (stored as `revision`)."""

    revision: int
