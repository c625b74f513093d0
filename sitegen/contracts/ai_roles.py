"""How each AI step is asked: its role (model, output bound, persona) and model prices.

Plain pydantic with no client imports, so settings and template manifests can carry
role overrides without loading an AI SDK. Defaults live with the adapter that uses them
(sitegen/integrations/ai/claude/roles.py); these are only the override shapes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# One name per `SiteAI` method: the key of every per-step setting and prompt file.
AIStep = Literal[
    "site_spec",
    "brief",
    "sitemap",
    "page_content",
    "layout_plan",
    "code_patch",
    "fix_patch",
    "revision",
    "plan_revision",
    "interview",
]
# The pipeline's steps, each with a per-template role; the discovery conversation's step
# (CONVERSATION_STEPS) comes before a site has a spec and is configured by settings alone.
AI_STEPS: tuple[AIStep, ...] = (
    "site_spec",
    "brief",
    "sitemap",
    "page_content",
    "layout_plan",
    "code_patch",
    "fix_patch",
    "revision",
    "plan_revision",
)
CONVERSATION_STEPS: tuple[AIStep, ...] = ("interview",)

ModelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,79}$")]
Effort = Literal["low", "medium", "high", "xhigh", "max"]


class AIRoleOverride(BaseModel):
    """Part of a step's role; unset fields keep the value from the layer below
    (built-in default < SITEGEN_AI_MODELS < SITEGEN_AI_ROLES < the template's [ai] table).

    There is no temperature: the Messages API version the `anthropic` 2.x SDK speaks
    rejects sampling parameters (temperature, top_p, top_k) with a 400, and the SDK no
    longer has them. `effort` is the knob that API offers instead.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: ModelName | None = None
    max_tokens: int | None = Field(default=None, ge=256, le=128_000)
    # Replaces the step's persona (the `system` block of its prompt file); recorded in
    # the prompt version as a hash so artifacts say which words produced them.
    system: str | None = Field(default=None, min_length=1, max_length=8000)
    effort: Effort | None = None


class ModelPrice(BaseModel):
    """US dollars per million tokens, as on the provider's price list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cache_read: Decimal = Field(ge=0)
    cache_write: Decimal = Field(ge=0)
