"""Personas (who the AI is at each step) and provider configurations (whose account it
runs on): the shapes the API takes and gives, and what a step resolves to.

A persona belongs to one AI step. Each step has a default persona, seeded with the words,
model and output bound the pipeline always used; a template or an order may choose
another persona of the same step (order > template > default). A provider configuration
names the provider, a model and, optionally, an API key kept encrypted; the API shows only
whether a key is set and its last four characters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
)

from sitegen.contracts.ai_roles import AIStep, Effort, ModelName
from sitegen.contracts.onboarding import storable

Provider = Literal["anthropic", "offline"]
PROVIDERS: tuple[Provider, ...] = ("anthropic", "offline")
PersonaSource = Literal["default", "template", "project"]


def _key_chars(value: SecretStr) -> SecretStr:
    # Keys are printable ASCII; anything else is a paste gone wrong (and the last four
    # characters are stored in the clear, so they must be storable).
    if not all("!" <= c <= "~" for c in value.get_secret_value()):
        raise ValueError("an API key is printable ASCII without spaces")
    return value


def _text(min_length: int, max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


# Postgres text cannot hold NUL or lone surrogates: refused here, named by field.
_STORABLE = AfterValidator(storable)
Name = Annotated[str, _text(1, 100), _STORABLE]
RoleText = Annotated[str, _text(1, 200), _STORABLE]
GoalText = Annotated[str, _text(1, 2000), _STORABLE]
Backstory = Annotated[str, _text(0, 8000), _STORABLE]
ApiKey = Annotated[SecretStr, Field(min_length=8, max_length=500), AfterValidator(_key_chars)]
Temperature = Annotated[float, Field(ge=0, le=1)]
MaxTokens = Annotated[int, Field(ge=256, le=128_000)]


def system_text(role: str, goal: str, backstory: str = "") -> str:
    """The persona's words as the step's system prompt: who, what for, and any background."""
    text = f"You are {role}. {goal}"
    return f"{text}\n\n{backstory}" if backstory else text


@dataclass(frozen=True)
class BuiltinPersona:
    role: str
    goal: str
    model: str
    max_tokens: int


_SONNET, _OPUS = "claude-sonnet-5-5", "claude-opus-5-5"
# What each step always was (the prompt files' system blocks, the Claude roles' models and
# output bounds); migration 0008 seeds the default personas with these, and a default
# persona still equal to them changes nothing (settings and template tables keep working).
BUILTIN: dict[AIStep, BuiltinPersona] = {
    "site_spec": BuiltinPersona(
        "the agency's site planner",
        "You read a client's onboarding form and turn it into the site spec: a faithful, "
        "normalised plan that later steps write from.",
        _SONNET,
        8_000,
    ),
    "brief": BuiltinPersona(
        "the agency's creative lead",
        "You write the brief that tells the copywriters and designers what this site is for, "
        "whom it speaks to and how it should sound.",
        _SONNET,
        4_000,
    ),
    "sitemap": BuiltinPersona(
        "the agency's information architect",
        "You decide the pages of the site, their titles, their navigation labels and the "
        "sections each page shows.",
        _SONNET,
        2_000,
    ),
    "page_content": BuiltinPersona(
        "the agency's copywriter",
        "You write the words of one page of the site, section by section, honest and "
        "specific to this business.",
        _SONNET,
        6_000,
    ),
    "layout_plan": BuiltinPersona(
        "the agency's designer",
        "You choose, for every page, the layout variant of each of its sections so the site "
        "reads well and varies its rhythm.",
        _SONNET,
        3_000,
    ),
    "code_patch": BuiltinPersona(
        "the agency's front-end engineer",
        "You write the site's content into the template's editable files, and nothing else, "
        "as one patch.",
        _OPUS,
        32_000,
    ),
    "fix_patch": BuiltinPersona(
        "the agency's front-end engineer on call",
        "A build of the site failed; you repair the editable files so it passes, without "
        "changing what the site says.",
        _OPUS,
        32_000,
    ),
    "revision": BuiltinPersona(
        "the agency's account editor",
        "A client asked for a change to their preview; you make exactly that change, or say "
        "plainly why it cannot be made.",
        _OPUS,
        32_000,
    ),
    "plan_revision": BuiltinPersona(
        "the agency's account editor",
        "Before any copy is written, the client reviews the plan of their site; you change "
        "the plan exactly as they ask, or say plainly why it cannot be done.",
        _SONNET,
        8_000,
    ),
}


def default_name(step: AIStep) -> str:
    return f"{step} (default)"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonaIn(_In):
    name: Name
    # The AI step this persona speaks for; an override applies it to that step only.
    step: AIStep
    role: RoleText
    goal: GoalText
    backstory: Backstory = ""
    # None: the provider configuration's model.
    model: ModelName | None = None
    # Recorded and passed to providers that take it; the Anthropic Messages API version in
    # use refuses sampling parameters, so Claude runs at its own (see ai_roles.py).
    temperature: Temperature | None = None
    max_tokens: MaxTokens
    effort: Effort | None = None
    # None: the deployment's provider and key (SITEGEN_AI_PROVIDER, SITEGEN_ANTHROPIC_API_KEY).
    provider_config_id: uuid.UUID | None = None


# Fields that may not be cleared with null (they have no layer below to fall back to).
REQUIRED_PERSONA_FIELDS: tuple[str, ...] = ("name", "role", "goal", "backstory", "max_tokens")


class PersonaPatch(_In):
    """Only the fields sent change; null clears model, temperature, effort or the provider
    configuration (REQUIRED_PERSONA_FIELDS may not be null). A persona's step is fixed:
    make another persona for another step."""

    name: Name | None = None
    role: RoleText | None = None
    goal: GoalText | None = None
    backstory: Backstory | None = None
    model: ModelName | None = None
    temperature: Temperature | None = None
    max_tokens: MaxTokens | None = None
    effort: Effort | None = None
    provider_config_id: uuid.UUID | None = None


class PersonaOut(BaseModel):
    id: uuid.UUID
    name: str
    step: AIStep
    role: str
    goal: str
    backstory: str
    model: str | None
    temperature: float | None
    max_tokens: int
    effort: Effort | None
    provider_config_id: uuid.UUID | None
    # The step's default: used wherever no template or order chose another.
    is_default: bool
    created_at: datetime | None
    updated_at: datetime | None


class ProviderConfigIn(_In):
    name: Name
    provider: Provider
    model: ModelName
    # Stored encrypted; never shown again (only whether one is set, and its last 4).
    api_key: ApiKey | None = None


class ProviderConfigPatch(_In):
    """null for api_key removes the key (the deployment's is used again). The provider is
    fixed: a key of one provider means nothing to another."""

    name: Name | None = None
    model: ModelName | None = None
    api_key: ApiKey | None = None


REQUIRED_CONFIG_FIELDS: tuple[str, ...] = ("name", "model")


class ProviderConfigOut(BaseModel):
    id: uuid.UUID
    name: str
    provider: Provider
    model: str
    api_key_set: bool
    api_key_last4: str | None
    created_at: datetime | None
    updated_at: datetime | None


class OverrideIn(_In):
    persona_id: uuid.UUID


class OverrideOut(BaseModel):
    step: AIStep
    persona_id: uuid.UUID
    persona_name: str
    template_id: str | None
    project_id: uuid.UUID | None


class EffectivePersona(BaseModel):
    """Which persona a project's step runs with, and why."""

    step: AIStep
    source: PersonaSource
    persona: PersonaOut


class PersonaUnusable(ValueError):
    """The persona a step resolved to cannot run (its key cannot be opened): an operator
    must fix the configuration; retrying cannot help."""


@dataclass(frozen=True)
class ResolvedPersona:
    """What one AI call runs with. Lives in the worker's memory only (it may carry a key):
    never a workflow payload, never logged (the key's repr is masked)."""

    persona_id: uuid.UUID
    name: str
    step: AIStep
    source: PersonaSource
    system: str
    model: str
    max_tokens: int
    temperature: float | None = None
    effort: Effort | None = None
    # None: the deployment's provider.
    provider: Provider | None = None
    api_key: SecretStr | None = field(default=None, repr=False)
