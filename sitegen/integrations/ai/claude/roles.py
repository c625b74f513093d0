"""Each AI step's role (model, output bound, persona, effort) and what a call costs.

A role is built in layers, each overriding only what it sets: the defaults here, then
SITEGEN_AI_MODELS, then SITEGEN_AI_ROLES, then the template's `[ai.<step>]` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from sitegen.contracts.ai_roles import (
    AI_STEPS,
    CONVERSATION_STEPS,
    AIRoleOverride,
    AIStep,
    Effort,
    ModelPrice,
)
from sitegen.settings import Settings
from sitegen.templates_registry import TemplateManifest

# Names from the `anthropic` SDK's model list (anthropic.types.ModelParam). Documents and
# copy go to the balanced model; diffs that must apply byte for byte to the stronger one.
STRUCTURED_MODEL = "claude-sonnet-5-5"
PATCH_MODEL = "claude-opus-5-5"
PATCH_STEPS: frozenset[AIStep] = frozenset({"code_patch", "fix_patch", "revision"})

# Output bounds: a patch carries whole files, a page's copy a few thousand words at most.
MAX_TOKENS: dict[AIStep, int] = {
    "site_spec": 8_000,
    "brief": 4_000,
    "sitemap": 2_000,
    "page_content": 6_000,
    "layout_plan": 3_000,
    "code_patch": 32_000,
    "fix_patch": 32_000,
    "revision": 32_000,
    "plan_revision": 8_000,
    # A chat reply, the draft and, at the end, a plan and a whole onboarding form.
    "interview": 6_000,
}


def _price(inp: str, out: str) -> ModelPrice:
    # Anthropic's rule: a cache read costs a tenth of input, a (5-minute) cache write 1.25x.
    i = Decimal(inp)
    return ModelPrice(input=i, output=Decimal(out), cache_read=i / 10, cache_write=i * 5 / 4)


# USD per million tokens, by family tier; check them against the current price list and
# override with SITEGEN_AI_PRICES (the cost ledger and budgets are only as right as these).
PRICES: dict[str, ModelPrice] = {
    **{m: _price("5", "25") for m in ("claude-opus-5-5", "claude-opus-5", "claude-opus-4-8")},
    **{m: _price("3", "15") for m in ("claude-sonnet-5-5", "claude-sonnet-5", "claude-sonnet-4-6")},
    **{m: _price("1", "5") for m in ("claude-haiku-5-5", "claude-haiku-4-5")},
}


@dataclass(frozen=True)
class Role:
    step: AIStep
    model: str
    max_tokens: int
    # None: the persona in the step's prompt file.
    system: str | None = None
    effort: Effort | None = None

    def over(self, layer: AIRoleOverride | None) -> Role:
        if layer is None:
            return self
        return Role(
            step=self.step,
            model=layer.model or self.model,
            max_tokens=layer.max_tokens or self.max_tokens,
            system=layer.system if layer.system is not None else self.system,
            effort=layer.effort or self.effort,
        )


class Roles:
    """The settings' roles, resolved once; a template's table is laid over per call."""

    def __init__(self, settings: Settings) -> None:
        self.base: dict[AIStep, Role] = {}
        for step in (*AI_STEPS, *CONVERSATION_STEPS):
            default = PATCH_MODEL if step in PATCH_STEPS else STRUCTURED_MODEL
            role = Role(step, settings.ai_models.get(step, default), MAX_TOKENS[step])
            self.base[step] = role.over(settings.ai_roles.get(step))
        self.prices = {**PRICES, **settings.ai_prices}

    def role(self, step: AIStep, template: TemplateManifest | None) -> Role:
        layer = template.ai.get(step) if template is not None else None
        return self.base[step].over(layer)

    def unpriced(self) -> list[str]:
        """Models the settings would call that have no price (budgets need every one)."""
        return sorted({r.model for r in self.base.values()} - set(self.prices))

    def price(self, model: str) -> ModelPrice | None:
        return self.prices.get(model)


MILLION = Decimal(1_000_000)
MICRO = Decimal("0.000001")


def cost_usd(
    price: ModelPrice, input_tokens: int, output_tokens: int, cache_read: int, cache_write: int
) -> Decimal:
    total = (
        price.input * input_tokens
        + price.output * output_tokens
        + price.cache_read * cache_read
        + price.cache_write * cache_write
    ) / MILLION
    return total.quantize(MICRO, rounding=ROUND_HALF_UP)


def max_cost_usd(price: ModelPrice, prompt_tokens: int, max_tokens: int) -> Decimal:
    """The most a call can cost: every prompt token written to the cache (the dearest input
    rate) and the full output bound; rounded up, so it is never below the truth. The budget
    reserves this before each call (sitegen/integrations/ai/claude/metered.py)."""
    dearest = max(price.input, price.cache_write)
    return ((dearest * prompt_tokens + price.output * max_tokens) / MILLION).quantize(
        MICRO, rounding=ROUND_CEILING
    )
