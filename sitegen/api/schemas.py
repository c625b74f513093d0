"""Request and response bodies of the HTTP API (what crosses the wire, nothing more)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from sitegen.api.schemas_design import DesignLinks
from sitegen.api.schemas_timing import OrderTiming, ProjectTiming
from sitegen.contracts.onboarding import storable
from sitegen.contracts.status import ProjectStatus, RevisionSource, RevisionStatus, StepStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Ref = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.:/#-]+$"
    ),
]
Slug = Annotated[
    str, StringConstraints(min_length=3, max_length=50, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])$")
]

# As the schema says it: a number, or a string of digits with at most two decimals.
Budget = Annotated[
    Decimal,
    Field(gt=0, le=100_000, max_digits=10, decimal_places=2),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 100_000},
                {"type": "string", "pattern": r"^(?!0+(\.0+)?$)\d{1,6}(\.\d{1,2})?$"},
            ]
        }
    ),
]


class StrictBody(BaseModel):
    """Every request body: unknown fields refused, and no text Postgres cannot store."""

    model_config = ConfigDict(extra="forbid")

    _storable = field_validator("*", mode="before")(storable)


class CustomerIn(StrictBody):
    name: Name
    email: EmailStr
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    external_ref: Ref | None = None


class OrderIn(StrictBody):
    reference: Ref = Field(description="The agency's or payment provider's order id; unique.")
    product_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "website"
    amount_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    ai_budget_usd: Budget | None = Field(
        default=None,
        description="What this order's AI calls may cost in all, in USD; "
        "unset: the agency's default (SITEGEN_AI_BUDGET_USD).",
    )


class ProjectCreate(StrictBody, OrderTiming):
    customer: CustomerIn
    order: OrderIn
    template_id: Annotated[str, StringConstraints(min_length=1, max_length=50)] = "landing"
    name: Name
    slug: Slug | None = Field(
        default=None, description="Optional; derived from the name (and made unique) if omitted."
    )
    onboarding: dict[str, Any] | None = Field(
        default=None, description="The onboarding form, when the order arrives with it."
    )
    start_generation: bool = Field(
        default=False, description="Start generating right away (needs `onboarding`)."
    )
    plan_approval: bool = Field(
        default=False,
        description="Pause after the brief and sitemap until the client signs them off.",
    )


def public_repo_url(value: str | None) -> str | None:
    """A repository as a client may see it: a local repository by its name, never by the
    path it has on the server's disk."""
    if value is None or not value.startswith("file:"):
        return value
    return f"local:{PurePosixPath(unquote(urlsplit(value).path)).name}"


class ProjectPublic(ProjectTiming):
    id: uuid.UUID
    customer_id: uuid.UUID
    order_id: uuid.UUID | None
    name: str
    slug: str
    template_id: str
    status: ProjectStatus
    repo_url: Annotated[str | None, AfterValidator(public_repo_url)]
    preview_url: str | None
    subdomain: str | None
    production_url: str | None
    workflow_id: str | None
    waiting_for: str | None = Field(
        default=None, description="Who must act next, e.g. 'review' or 'onboarding correction'."
    )
    delivered_at: datetime | None = None
    plan_approval: bool = False
    ai_budget_usd: Decimal | None = Field(
        default=None, description="Its own AI budget; None: the agency's default."
    )
    run_id: str | None = Field(
        default=None, description="The generation run, when this request started it."
    )
    onboarding_submitted: bool = False
    validation_errors: list[dict[str, Any]] = Field(default_factory=list)
    design: DesignLinks | None = None  # set by GET /projects/{id}; see DesignLinks
    created_at: datetime | None
    updated_at: datetime | None


class OnboardingAccepted(BaseModel):
    project_id: uuid.UUID
    submission_id: uuid.UUID
    revision: int
    workflow_notified: bool = Field(
        description="True when a waiting generation run was told about the corrected form."
    )


class PipelineStepPublic(BaseModel):
    step_key: str
    step_order: int
    status: StepStatus
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: Decimal | None
    retry_count: int
    error_message: str | None
    output_ref: str | None
    details: dict[str, Any] | None = Field(
        default=None, description="what the step reports, e.g. AI tokens and cost, counts"
    )
    decision: dict[str, Any] | None = Field(
        default=None, description="the operator's last decision: action, decided_by, when, note"
    )


class TemplatePublic(BaseModel):
    id: str
    name: str
    description: str | None
    pages: list[str]
    sections: list[str]


class GenerationStarted(BaseModel):
    project_id: uuid.UUID
    workflow_id: str
    run_id: str | None
    already_running: bool
    temporal_ui_url: str


class Health(BaseModel):
    status: str
    database: str
    temporal: str


# --- after the first preview: revisions, versions, plan, approval, operators ----------------

Person = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
PageId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}$")]


class RevisionCreate(StrictBody):
    message: Message = Field(
        description="The change, in the client's words (English or Portuguese)."
    )
    source: RevisionSource = RevisionSource.CLIENT
    affected_pages: list[PageId] = Field(
        default_factory=list, max_length=10, description="Pages the change is about (optional)."
    )
    requested_by: Person | None = None


class RevisionQueued(BaseModel):
    revision_id: uuid.UUID
    status: RevisionStatus
    position: int = Field(description="1 = next (or already being worked on).")


class RevisionPublic(BaseModel):
    id: uuid.UUID
    source: RevisionSource
    message: str
    affected_pages: list[str] | None
    requested_by: str | None
    status: RevisionStatus
    summary: str | None
    rejection_reason: str | None
    applied_commit: str | None
    applied_at: datetime | None
    diff_ref: str | None
    created_at: datetime | None


class VersionPublic(BaseModel):
    number: int = Field(description="1 is the first preview.")
    kind: str
    commit: str
    revision_id: uuid.UUID | None
    rolled_back_to: int | None
    requested_by: str | None
    created_at: datetime | None
    url: str = Field(description="Immutable: always shows this version.")
    current: bool


class RollbackCreate(StrictBody):
    version: int = Field(ge=1, le=1_000_000)
    requested_by: Person | None = None


class RollbackQueued(BaseModel):
    change_id: uuid.UUID
    version: int
    position: int


class ApprovalCreate(StrictBody):
    approved_by: Person
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ApprovalPublic(BaseModel):
    project_id: uuid.UUID
    already_approved: bool
    changes_before_delivery: int = Field(description="Queued changes applied before delivery.")


class CancelCreate(StrictBody):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = "cancelled"


class CancelPublic(BaseModel):
    project_id: uuid.UUID
    already_cancelled: bool


class DecisionCreate(StrictBody):
    decided_by: Person | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class DecisionPublic(BaseModel):
    step: str
    action: str


class BuildFinding(BaseModel):
    file: str
    line: int
    rule: str
    message: str


class ScreenshotPublic(BaseModel):
    name: str = Field(description="desktop or mobile")
    width: int
    height: int
    key: str = Field(description="storage key of the PNG")


class ContrastPublic(BaseModel):
    """What the rendered-contrast gate measured (WCAG AA text, 3:1 focus rings)."""

    pages: int
    viewports: list[str]
    texts_checked: int
    texts_unchecked: int = Field(description="over an image or a filter: not measurable")
    focus_checked: int
    focus_unchecked: int
    unchecked_samples: list[str] = Field(default_factory=list)
    seconds: float


class BuildReportPublic(BaseModel):
    """One build attempt: what ran, in which sandbox, and what it found."""

    version: int
    created_at: datetime | None
    ok: bool
    attempt: int
    sha: str
    sandbox: str
    isolated: bool | None = Field(
        default=None, description="false only where unsandboxed builds were allowed"
    )
    limit: str | None = Field(default=None, description="the sandbox limit that stopped it")
    timed_out: bool = False
    exit_code: int | None
    duration_seconds: float
    pages: int
    problems: list[str] = Field(default_factory=list)
    findings: list[BuildFinding] = Field(
        default_factory=list, description="what the quality gates found, machine-readable"
    )
    report_key: str = Field(description="storage key of the full report, with the build log")
    screenshots: list[ScreenshotPublic] = Field(
        default_factory=list, description="the home page as built (preview_screenshot)"
    )
    screenshots_skipped: str | None = Field(
        default=None, description="why a passing build has no screenshots"
    )
    contrast: ContrastPublic | None = Field(
        default=None, description="contrast as Chromium renders the site, if measured"
    )
    contrast_skipped: str | None = Field(
        default=None, description="why the contrast gate did not measure this build"
    )


class CostLine(BaseModel):
    """AI calls grouped one way (a step, or a revision), with what they cost."""

    key: str | None = Field(description="The step key, or the revision id (None: generation).")
    calls: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    latency_ms: int
    cost_usd: Decimal


class ProjectCosts(BaseModel):
    project_id: uuid.UUID
    budget_usd: Decimal
    budget_is_default: bool
    spent_usd: Decimal = Field(description="What paid calls cost.")
    reserved_usd: Decimal = Field(
        description="Held for calls in flight, and for calls whose answer was lost "
        "(they may have been billed)."
    )
    remaining_usd: Decimal
    calls: int
    failed_calls: int
    by_step: list[CostLine]
    by_revision: list[CostLine]


class BudgetChange(StrictBody):
    ai_budget_usd: Budget
    decided_by: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
