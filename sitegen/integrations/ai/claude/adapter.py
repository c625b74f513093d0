"""AnthropicAI: the `SiteAI` port on Claude.

Same inputs and outputs as OfflineAI: every step returns the same validated pydantic
artifact, with its usage (tokens, cache reads and writes, cost, prompt version, latency,
requests). Patches are `git diff`s of the template's editable files; the activities still
put every one through the scope gate before it is stored or applied.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

import anthropic
from pydantic import BaseModel

from sitegen.contracts.ai_roles import AI_STEPS, CONVERSATION_STEPS, AIStep
from sitegen.contracts.conversation import InterviewAsk, InterviewReply, InterviewResult
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.patches import diff_paths, parse_diff
from sitegen.contracts.revision import RevisionAsk, SiteRevision, SiteRevisionResult
from sitegen.contracts.site import (
    AIUsage,
    Brief,
    BriefResult,
    CodePatch,
    CodePatchResult,
    LayoutPlan,
    LayoutPlanResult,
    PageContent,
    PageContentResult,
    SiteContent,
    Sitemap,
    SitemapPage,
    SitemapResult,
    SiteSpec,
    SpecResult,
)
from sitegen.integrations.ai.claude import checks, prompts
from sitegen.integrations.ai.claude.client import make_client
from sitegen.integrations.ai.claude.persona import with_persona
from sitegen.integrations.ai.claude.roles import Roles
from sitegen.integrations.ai.claude.structured import Check, ask
from sitegen.integrations.ai.ledger import AILedger
from sitegen.settings import Settings
from sitegen.templates_registry import TemplateManifest, load_template

M = TypeVar("M", bound=BaseModel)


class UnpricedModels(SystemExit):
    def __init__(self, models: list[str]) -> None:
        super().__init__(f"not available: no price for {models}; set SITEGEN_AI_PRICES")


class AnthropicAI:
    """Implements `SiteAI` with one Messages API request per answer (more when an answer
    fails validation). Built once per worker; safe to share between concurrent steps."""

    def __init__(
        self,
        settings: Settings,
        client: anthropic.AsyncAnthropic | None = None,
        ledger: AILedger | None = None,
    ) -> None:
        self.roles = Roles(settings)
        unpriced = self.roles.unpriced()
        if unpriced:
            raise UnpricedModels(unpriced)
        prompts.check_prompts((*AI_STEPS, *CONVERSATION_STEPS))
        self.max_invalid = settings.ai_max_invalid_retries
        self.templates_dir = settings.templates_dir
        self.client = client or make_client(settings)
        # The worker's: every request charged to its project, under its budget.
        self.ledger = ledger

    async def _template(self, spec: SiteSpec) -> TemplateManifest:
        # brief() and page_content() get no manifest through the port; the spec names it,
        # and the same manifest keeps their cached context identical to the other steps'.
        return await asyncio.to_thread(load_template, self.templates_dir, spec.template_id)

    async def _ask(
        self,
        step: AIStep,
        template: TemplateManifest,
        spec: SiteSpec | None,
        tool: str,
        model_cls: type[M],
        check: Check[M] | None = None,
        **inputs: Any,
    ) -> tuple[M, AIUsage]:
        # The call's persona, when an operator chose or edited one, wins over the layers.
        role, client = with_persona(self.roles.role(step, template), self.client)
        prompt = prompts.build(step, role, template, spec, **inputs)
        price = self.roles.price(role.model)
        return await ask(
            client,
            role,
            price,
            prompt,
            tool,
            model_cls,
            self.max_invalid,
            check,
            ledger=self.ledger,
        )

    async def site_spec(self, onboarding: Onboarding, template: TemplateManifest) -> SpecResult:
        spec, usage = await self._ask(
            "site_spec",
            template,
            None,
            "submit_site_spec",
            SiteSpec,
            checks.spec(template),
            onboarding=onboarding,
        )
        return SpecResult(artifact=spec, usage=usage)

    async def brief(self, spec: SiteSpec) -> BriefResult:
        template = await self._template(spec)
        brief, usage = await self._ask("brief", template, spec, "submit_brief", Brief)
        return BriefResult(artifact=brief, usage=usage)

    async def sitemap(self, spec: SiteSpec, template: TemplateManifest) -> SitemapResult:
        site_map, usage = await self._ask(
            "sitemap", template, spec, "submit_sitemap", Sitemap, checks.sitemap(spec, template)
        )
        return SitemapResult(artifact=site_map, usage=usage)

    async def page_content(self, spec: SiteSpec, page: SitemapPage) -> PageContentResult:
        template = await self._template(spec)
        content, usage = await self._ask(
            "page_content",
            template,
            spec,
            "submit_page_content",
            PageContent,
            checks.page(page),
            page=page,
        )
        return PageContentResult(artifact=content, usage=usage)

    async def layout_plan(
        self, spec: SiteSpec, sitemap: Sitemap, template: TemplateManifest
    ) -> LayoutPlanResult:
        plan, usage = await self._ask(
            "layout_plan",
            template,
            spec,
            "submit_layout_plan",
            LayoutPlan,
            checks.layout(sitemap, template),
            sitemap=sitemap,
        )
        return LayoutPlanResult(artifact=plan, usage=usage)

    async def code_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> CodePatchResult:
        patch, usage = await self._ask(
            "code_patch",
            template,
            spec,
            "submit_code_patch",
            CodePatch,
            checks.patch(template),
            content=content,
            layout=layout,
            files=files,
        )
        return CodePatchResult(artifact=_with_diff_paths(patch), usage=usage)

    async def fix_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
        build_log: str,
    ) -> CodePatchResult:
        patch, usage = await self._ask(
            "fix_patch",
            template,
            spec,
            "submit_code_patch",
            CodePatch,
            checks.patch(template),
            content=content,
            layout=layout,
            files=files,
            # The end of a long log is where the failure is.
            build_log=build_log[-20_000:],
        )
        return CodePatchResult(artifact=_with_diff_paths(patch), usage=usage)

    async def revision(
        self,
        ask: RevisionAsk,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> SiteRevisionResult:
        revised, usage = await self._ask(
            "revision",
            template,
            spec,
            "submit_site_revision",
            SiteRevision,
            checks.revision(template, plan_only=False),
            ask=ask,
            content=content,
            layout=layout,
            files=files,
        )
        if revised.patch is not None:
            revised = revised.model_copy(update={"patch": _with_diff_paths(revised.patch)})
        return SiteRevisionResult(artifact=revised, usage=usage)

    async def plan_revision(
        self, ask: RevisionAsk, spec: SiteSpec, template: TemplateManifest
    ) -> SiteRevisionResult:
        revised, usage = await self._ask(
            "plan_revision",
            template,
            spec,
            "submit_site_revision",
            SiteRevision,
            checks.revision(template, plan_only=True),
            ask=ask,
        )
        return SiteRevisionResult(artifact=revised, usage=usage)

    async def interview(self, ask: InterviewAsk) -> InterviewResult:
        template = await asyncio.to_thread(load_template, self.templates_dir, ask.template_id)
        reply, usage = await self._ask(
            "interview",
            template,
            None,
            "submit_interview_reply",
            InterviewReply,
            checks.interview(ask),
            ask=ask,
        )
        return InterviewResult(artifact=reply, usage=usage)


def _with_diff_paths(patch: CodePatch) -> CodePatch:
    """`paths` as the diff has them: the model's list is a claim, the diff is the patch."""
    if parse_diff(patch.diff).problems:
        return patch
    return patch.model_copy(update={"paths": sorted(set(diff_paths(patch.diff)))})
