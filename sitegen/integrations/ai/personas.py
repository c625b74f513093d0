"""Personas on the AI port: each call runs with the persona its project's step resolves to.

`PersonaAI` wraps the deployment's `SiteAI`. Inside an activity (a call scope is open, see
ledger.py) it asks its `PersonaSource` (Postgres, the worker's) which persona the step runs
with for this project and template, picks the adapter of the persona's provider, and makes
the call with the persona in context, where the Claude adapter reads its model, output
bound, effort, words and key. The result's usage names the persona, so the step's record
says which one wrote it. A step whose persona is the unedited default runs exactly as it
did before personas existed: no persona in context, the deployment's adapter.

The port keeps its shape (as with the ledger's scope): the activities and the workflow do
not change, and an AI built without personas (tests, the CLI) behaves as before.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from temporalio.exceptions import ApplicationError

from sitegen.contracts.ai_roles import AIStep
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.personas import PersonaUnusable, Provider, ResolvedPersona
from sitegen.contracts.revision import RevisionAsk, SiteRevisionResult
from sitegen.contracts.site import (
    BriefResult,
    CodePatchResult,
    LayoutPlan,
    LayoutPlanResult,
    PageContentResult,
    SiteContent,
    Sitemap,
    SitemapPage,
    SitemapResult,
    SiteSpec,
    SpecResult,
)
from sitegen.integrations.ai.base import SiteAI
from sitegen.integrations.ai.ledger import AILedger, current_scope
from sitegen.settings import Settings
from sitegen.templates_registry import TemplateManifest

R = TypeVar("R", bound=BaseModel)
PERSONA_UNUSABLE = "PersonaUnusable"

_persona: contextvars.ContextVar[ResolvedPersona | None] = contextvars.ContextVar(
    "sitegen_ai_persona", default=None
)


@contextlib.contextmanager
def persona_scope(persona: ResolvedPersona | None) -> Iterator[None]:
    token = _persona.set(persona)
    try:
        yield
    finally:
        _persona.reset(token)


def current_persona() -> ResolvedPersona | None:
    return _persona.get()


class PersonaSource(Protocol):
    async def resolve(
        self, project_id: uuid.UUID, template_id: str, step: AIStep
    ) -> ResolvedPersona | None:
        """The persona a project's step runs with; None for the unedited default."""
        ...


class PersonaAI:
    """Implements `SiteAI` by resolving each call's persona, then delegating to the
    adapter of its provider. Methods it does not route go to the deployment's adapter."""

    def __init__(
        self,
        default: SiteAI,
        default_provider: Provider,
        source: PersonaSource,
        adapters: dict[Provider, Callable[[], SiteAI]],
    ) -> None:
        self.default = default
        self.default_provider = default_provider
        self.source = source
        # Built on first use: a deployment that never uses another provider never builds it.
        self._factories = adapters
        self._built: dict[Provider, SiteAI] = {default_provider: default}

    def __getattr__(self, name: str) -> Any:
        # Only for what is not set in __init__ (a copy made without it must not recurse).
        if name.startswith("_") or name in ("default", "default_provider", "source"):
            raise AttributeError(name)
        return getattr(self.default, name)

    def _adapter(self, provider: Provider) -> SiteAI:
        found = self._built.get(provider)
        if found is None:
            found = self._built[provider] = self._factories[provider]()
        return found

    async def _run(
        self, step: AIStep, template_id: str, call: Callable[[SiteAI], Awaitable[R]]
    ) -> R:
        scope = current_scope()
        if scope is None:
            return await call(self.default)
        try:
            persona = await self.source.resolve(scope.project_id, template_id, step)
        except PersonaUnusable as exc:
            raise ApplicationError(str(exc), type=PERSONA_UNUSABLE, non_retryable=True) from None
        if persona is None:
            return await call(self.default)
        with persona_scope(persona):
            result = await call(self._adapter(persona.provider or self.default_provider))
        usage = getattr(result, "usage", None)
        if usage is None:
            return result
        return result.model_copy(
            update={"usage": usage.model_copy(update={"persona": persona.name})}
        )

    async def site_spec(self, onboarding: Onboarding, template: TemplateManifest) -> SpecResult:
        return await self._run(
            "site_spec", template.id, lambda ai: ai.site_spec(onboarding, template)
        )

    async def brief(self, spec: SiteSpec) -> BriefResult:
        return await self._run("brief", spec.template_id, lambda ai: ai.brief(spec))

    async def sitemap(self, spec: SiteSpec, template: TemplateManifest) -> SitemapResult:
        return await self._run("sitemap", template.id, lambda ai: ai.sitemap(spec, template))

    async def page_content(self, spec: SiteSpec, page: SitemapPage) -> PageContentResult:
        return await self._run(
            "page_content", spec.template_id, lambda ai: ai.page_content(spec, page)
        )

    async def layout_plan(
        self, spec: SiteSpec, sitemap: Sitemap, template: TemplateManifest
    ) -> LayoutPlanResult:
        return await self._run(
            "layout_plan", template.id, lambda ai: ai.layout_plan(spec, sitemap, template)
        )

    async def code_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> CodePatchResult:
        return await self._run(
            "code_patch",
            template.id,
            lambda ai: ai.code_patch(spec, content, layout, files, template),
        )

    async def fix_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
        build_log: str,
    ) -> CodePatchResult:
        return await self._run(
            "fix_patch",
            template.id,
            lambda ai: ai.fix_patch(spec, content, layout, files, template, build_log),
        )

    async def revision(
        self,
        ask: RevisionAsk,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> SiteRevisionResult:
        return await self._run(
            "revision",
            template.id,
            lambda ai: ai.revision(ask, spec, content, layout, files, template),
        )

    async def plan_revision(
        self, ask: RevisionAsk, spec: SiteSpec, template: TemplateManifest
    ) -> SiteRevisionResult:
        return await self._run(
            "plan_revision", template.id, lambda ai: ai.plan_revision(ask, spec, template)
        )


def make_persona_ai(
    settings: Settings, default: SiteAI, source: PersonaSource, ledger: AILedger | None = None
) -> PersonaAI:
    """The worker's AI: `default` (the deployment's provider), with the other providers
    built on first use for the personas that name them."""

    def offline() -> SiteAI:
        from sitegen.integrations.ai.offline import OfflineAI

        return OfflineAI()

    def claude() -> SiteAI:
        from sitegen.integrations.ai.claude import AnthropicAI
        from sitegen.integrations.ai.claude.persona import client_for_personas

        return AnthropicAI(settings, client=client_for_personas(settings), ledger=ledger)

    return PersonaAI(
        default, settings.ai_provider, source, {"offline": offline, "anthropic": claude}
    )
