"""Status vocabularies shared by the database, the API and the workflow."""

from enum import StrEnum


class ProjectStatus(StrEnum):
    PENDING = "pending"
    ONBOARDING = "onboarding"
    GENERATING = "generating"
    PREVIEW_READY = "preview_ready"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    NEEDS_ATTENTION = "needs_attention"


class StepStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"
    MANUAL = "manual"


class ArtifactType(StrEnum):
    BRIEF = "brief"
    SITEMAP = "sitemap"
    CONTENT = "content"
    LAYOUT_PLAN = "layout_plan"
    CODE_PATCH = "code_patch"
    BUILD_REPORT = "build_report"
    PREVIEW_SCREENSHOT = "preview_screenshot"
    # The design chain (migration 0010).
    WIREFRAME = "wireframe"
    STYLE_GUIDE = "style_guide"


class RevisionSource(StrEnum):
    CLIENT = "client"
    HUMAN = "human"
    AI = "ai"


class RevisionStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    APPLIED = "applied"
    REJECTED = "rejected"


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
