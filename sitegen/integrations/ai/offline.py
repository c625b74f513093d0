"""OfflineAI: the default `SiteAI`, deterministic and free, with no network.

Same input -> byte-identical output, so tests, replays and retries agree. Usage is an
estimate (about four characters per token) so dashboards show plausible numbers.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from sitegen.contracts.conversation import InterviewAsk, InterviewResult
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.revision import RevisionAsk, SiteRevision, SiteRevisionResult
from sitegen.contracts.site import (
    AIUsage,
    Brief,
    BriefResult,
    CodePatch,
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
from sitegen.integrations.ai import (
    copywriting,
    interview,
    planning,
    revision_edits,
    revisions,
    site_files,
)
from sitegen.integrations.ai.base import PatchScopeError
from sitegen.integrations.ai.diffing import tree_diff
from sitegen.integrations.ai.revision_words import Refusal, refuse, say
from sitegen.templates_registry import TemplateManifest, is_editable

MODEL = "offline-deterministic-v1"
# Templates whose editable files follow the layout the renderer writes (content/site.json,
# content/pages/<id>.json, theme/tokens.json); another layout needs its own renderer.
RENDERERS = {
    "landing": site_files.render,
    "saas": site_files.render,
    "portfolio": site_files.render,
}


def rerender_patch(
    template: TemplateManifest,
    before: tuple[SiteSpec, SiteContent, LayoutPlan],
    after: tuple[SiteSpec, SiteContent, LayoutPlan],
    files: dict[str, str],
) -> tuple[str, list[str]]:
    """The patch from the site's files as `before` renders them to `after`'s, and the paths
    it touches. Only files whose rendering changed are written, so pages a change did not
    touch stay byte-for-byte as they are in the repo, whatever happened to them there."""
    render = RENDERERS.get(template.id)
    if render is None:
        raise ValueError(f"offline AI cannot write files for template {template.id!r}")
    old, new = render(*before), render(*after)
    target: dict[str, str | None] = {p: t for p, t in new.items() if old.get(p) != t}
    target |= {p: None for p in old if p not in new}
    outside = sorted(p for p in target if not is_editable(template, p))
    if outside:
        raise PatchScopeError(f"patch would touch non-editable paths: {outside}")
    return tree_diff(files, target)


def _text(value: Any) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _usage(inputs: list[Any], output: Any) -> AIUsage:
    chars_in = sum(len(_text(v)) for v in inputs)
    return AIUsage(
        model=MODEL,
        input_tokens=math.ceil(chars_in / 4),
        output_tokens=math.ceil(len(_text(output)) / 4),
        cost_usd=Decimal("0"),
    )


def _first_error(build_log: str) -> str:
    for line in build_log.splitlines():
        if "build failed" in line or "error" in line.lower():
            return line.strip()[:300]
    return "build failed"


class OfflineAI:
    """Implements `SiteAI` from onboarding facts and phrase banks alone."""

    async def site_spec(self, onboarding: Onboarding, template: TemplateManifest) -> SpecResult:
        spec = planning.site_spec(onboarding, template)
        return SpecResult(artifact=spec, usage=_usage([onboarding, template], spec))

    async def brief(self, spec: SiteSpec) -> BriefResult:
        titles = [copywriting.Voice(spec).bank.NAV.get(p, p) for p in spec.pages]
        brief = Brief(**copywriting.brief_markdown(spec, titles))
        return BriefResult(artifact=brief, usage=_usage([spec], brief))

    async def sitemap(self, spec: SiteSpec, template: TemplateManifest) -> SitemapResult:
        site_map = planning.sitemap(spec, template)
        return SitemapResult(artifact=site_map, usage=_usage([spec, template], site_map))

    async def page_content(self, spec: SiteSpec, page: SitemapPage) -> PageContentResult:
        content = copywriting.page_content(spec, page, spec.pages)
        return PageContentResult(artifact=content, usage=_usage([spec, page], content))

    async def layout_plan(
        self, spec: SiteSpec, sitemap: Sitemap, template: TemplateManifest
    ) -> LayoutPlanResult:
        plan = planning.layout_plan(spec, sitemap, template)
        return LayoutPlanResult(artifact=plan, usage=_usage([spec, sitemap, template], plan))

    async def code_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> CodePatchResult:
        patch = self._patch(spec, content, layout, files, template, summary=None)
        return CodePatchResult(artifact=patch, usage=_usage([spec, content, layout, files], patch))

    async def fix_patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
        build_log: str,
    ) -> CodePatchResult:
        # Offline the artifacts are the truth: re-render them and diff against the
        # broken files, which repairs whatever the log complains about.
        patch = self._patch(spec, content, layout, files, template, summary=_first_error(build_log))
        return CodePatchResult(
            artifact=patch, usage=_usage([spec, content, layout, files, build_log], patch)
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
        result = self._revision(ask, spec, content, layout, files, template)
        return SiteRevisionResult(
            artifact=result, usage=_usage([ask, spec, content, layout, files], result)
        )

    async def plan_revision(
        self, ask: RevisionAsk, spec: SiteSpec, template: TemplateManifest
    ) -> SiteRevisionResult:
        revised = _revise(ask, spec, None, None, template)
        if isinstance(revised, Refusal):
            result = _refused(revised, spec)
        else:
            changes = revised.changes
            result = SiteRevision(
                accepted=True, summary=_summary(changes), changes=_lines(changes), spec=revised.spec
            )
        return SiteRevisionResult(artifact=result, usage=_usage([ask, spec], result))

    async def interview(self, ask: InterviewAsk) -> InterviewResult:
        reply = interview.conduct(ask)
        return InterviewResult(artifact=reply, usage=_usage([ask], reply))

    def _revision(
        self,
        ask: RevisionAsk,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> SiteRevision:
        revised = _revise(ask, spec, content, layout, template)
        if isinstance(revised, Refusal):
            return _refused(revised, spec, content, layout)
        assert revised.content is not None and revised.layout is not None
        diff, touched = rerender_patch(
            template,
            (spec, content, layout),
            (revised.spec, revised.content, revised.layout),
            files,
        )
        if not touched:
            same = refuse("same", detail=say(spec.locale, "same_site"))
            return _refused(same, spec, content, layout)
        summary = _summary(revised.changes)
        prefix = f"{site_files.PAGES_DIR}/"
        pages = [p[len(prefix) : -len(".json")] for p in touched if p.startswith(prefix)]
        return SiteRevision(
            accepted=True,
            summary=summary,
            changes=_lines(revised.changes),
            spec=revised.spec,
            content=revised.content,
            layout=revised.layout,
            patch=CodePatch(diff=diff, paths=touched, summary=f"Revision: {summary}"),
            pages_touched=pages,
        )

    def _patch(
        self,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
        summary: str | None,
    ) -> CodePatch:
        render = RENDERERS.get(template.id)
        if render is None:
            raise ValueError(f"offline AI cannot write files for template {template.id!r}")
        rendered = render(spec, content, layout)
        target: dict[str, str | None] = dict(rendered)
        # Editable files the plan no longer needs (pages not chosen) are removed.
        for path in files:
            if path not in target and is_editable(template, path):
                target[path] = None
        outside = sorted(p for p in target if not is_editable(template, p))
        if outside:
            raise PatchScopeError(f"patch would touch non-editable paths: {outside}")
        diff, touched = tree_diff(files, target)
        if summary is None:
            pages = ", ".join(p.page_id for p in layout.pages)
            summary = f"Write content for {spec.business.name}: pages {pages}; theme tokens."
        else:
            summary = f"Re-render editable files to fix: {summary}"
        if not touched:
            summary += " (no changes needed)"
        return CodePatch(diff=diff, paths=touched, summary=summary)


def _revise(
    ask: RevisionAsk,
    spec: SiteSpec,
    content: SiteContent | None,
    layout: LayoutPlan | None,
    template: TemplateManifest,
) -> revision_edits.Revised | Refusal:
    edits = revisions.parse(ask.message)
    if isinstance(edits, Refusal):
        return edits
    return revision_edits.apply(edits, spec, content, layout, template, ask.affected_pages)


def _refused(
    why: Refusal,
    spec: SiteSpec,
    content: SiteContent | None = None,
    layout: LayoutPlan | None = None,
) -> SiteRevision:
    """A refusal keeps the artifacts as they were and says why in the site's language."""
    reason = copywriting.clip(why.text(spec.locale), 500)
    summary = say(spec.locale, "refused_summary")
    return SiteRevision(
        accepted=False, reason=reason, summary=summary, spec=spec, content=content, layout=layout
    )


def _lines(changes: list[str]) -> list[str]:
    return [copywriting.clip(c, 300) for c in changes]


def _summary(changes: list[str]) -> str:
    return copywriting.clip("; ".join(changes), 500)
