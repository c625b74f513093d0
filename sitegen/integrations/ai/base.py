"""The AI port: every step returns a validated artifact plus its token usage.

Implementations never act on the world; the workflow stores what they return and the
runner applies it. Each method is async so a network adapter (Claude) fits the same shape.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from sitegen.contracts.conversation import InterviewAsk, InterviewResult
from sitegen.contracts.onboarding import Onboarding
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
from sitegen.templates_registry import TemplateManifest


@runtime_checkable
class SiteAI(Protocol):
    async def site_spec(self, onboarding: Onboarding, template: TemplateManifest) -> SpecResult: ...

    async def brief(self, spec: SiteSpec) -> BriefResult: ...

    async def sitemap(self, spec: SiteSpec, template: TemplateManifest) -> SitemapResult: ...

    async def page_content(self, spec: SiteSpec, page: SitemapPage) -> PageContentResult: ...

    async def layout_plan(
        self, spec: SiteSpec, sitemap: Sitemap, template: TemplateManifest
    ) -> LayoutPlanResult: ...

    async def code_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> CodePatchResult:
        """`files`: current contents of the repo's editable files, keyed by repo path."""
        ...

    async def fix_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
        build_log: str,
    ) -> CodePatchResult: ...

    async def revision(
        self,
        ask: RevisionAsk,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> SiteRevisionResult:
        """The site after the client's change, and the patch to get there; or a refusal."""
        ...

    async def plan_revision(
        self, ask: RevisionAsk, spec: SiteSpec, template: TemplateManifest
    ) -> SiteRevisionResult:
        """A change to the plan (pages, services, colours, contact details) before any copy
        is written: only `spec` changes; content, layout and patch are None."""
        ...

    async def interview(self, ask: InterviewAsk) -> InterviewResult:
        """One turn of the discovery conversation: the reply, the draft as it now stands,
        and the business plan with a prefilled onboarding once there is enough."""
        ...


class PatchScopeError(ValueError):
    """A generated patch would touch a path outside the template's editable files."""
