"""Checks of a schema-valid answer against its inputs, fed back to the model when they
fail. The schema says an answer is well formed; these say it fits this template and this
site. The activities' gates still run after: these only spare a failed step."""

from __future__ import annotations

from pydantic import ValidationError

from sitegen.contracts.conversation import InterviewAsk, InterviewReply
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.patches import parse_diff
from sitegen.contracts.revision import SiteRevision
from sitegen.contracts.site import (
    CodePatch,
    LayoutPlan,
    PageContent,
    Sitemap,
    SitemapPage,
    SiteSpec,
)
from sitegen.integrations.ai.claude.structured import Check, problems_of
from sitegen.templates_registry import TemplateManifest, is_editable


def spec(template: TemplateManifest) -> Check[SiteSpec]:
    def check(s: SiteSpec) -> list[str]:
        problems = []
        if s.template_id != template.id:
            problems.append(f"template_id: must be {template.id!r}")
        unknown = [p for p in s.pages if p not in template.page_ids]
        if unknown:
            problems.append(f"pages: {unknown} are not pages of this template")
        return problems

    return check


def sitemap(s: SiteSpec, template: TemplateManifest) -> Check[Sitemap]:
    sections = {x.id for x in template.sections}

    def check(m: Sitemap) -> list[str]:
        problems = []
        for i, page in enumerate(m.pages):
            if page.id not in template.page_ids:
                problems.append(f"pages.{i}.id: {page.id!r} is not a page of this template")
            bad = [x for x in page.sections if x not in sections]
            if bad:
                problems.append(f"pages.{i}.sections: {bad} are not in the section library")
        return problems

    return check


def page(p: SitemapPage) -> Check[PageContent]:
    def check(c: PageContent) -> list[str]:
        return [] if c.page_id == p.id else [f"page_id: must be {p.id!r}"]

    return check


def layout(m: Sitemap, template: TemplateManifest) -> Check[LayoutPlan]:
    def check(plan: LayoutPlan) -> list[str]:
        problems = []
        wanted = [p.id for p in m.pages]
        if sorted(p.page_id for p in plan.pages) != sorted(wanted):
            problems.append(f"pages: one layout for each sitemap page, exactly: {wanted}")
        # The wireframe the client saw is the sitemap's sections in order: the layout keeps it.
        planned = {p.id: p.sections for p in m.pages}
        for i, p in enumerate(plan.pages):
            order = planned.get(p.page_id)
            if order is not None and [s.section for s in p.sections] != order:
                problems.append(f"pages.{i}.sections: exactly these, in this order: {order}")
            for j, placed in enumerate(p.sections):
                found = template.section(placed.section)
                where = f"pages.{i}.sections.{j}"
                if found is None:
                    problems.append(f"{where}.section: {placed.section!r} is not in the library")
                elif placed.variant not in found.variants:
                    problems.append(f"{where}.variant: must be one of {found.variants}")
        return problems

    return check


def _patch_problems(p: CodePatch, template: TemplateManifest, where: str) -> list[str]:
    parsed = parse_diff(p.diff)
    problems = [f"{where}.diff: {x}" for x in parsed.problems]
    if p.diff.strip() and not parsed.files:
        problems.append(f"{where}.diff: not a `git diff` (no 'diff --git' file headers)")
    for f in parsed.files:
        if not is_editable(template, f.path):
            problems.append(
                f"{where}.diff: {f.path} is not editable; only {template.editable_files}"
            )
    return problems


def patch(template: TemplateManifest) -> Check[CodePatch]:
    return lambda p: _patch_problems(p, template, "(patch)")


def revision(template: TemplateManifest, plan_only: bool) -> Check[SiteRevision]:
    def check(r: SiteRevision) -> list[str]:
        problems = []
        if not r.accepted and not r.reason:
            problems.append("reason: a refusal says why")
        if plan_only and (r.content or r.layout or r.patch):
            problems.append("content, layout and patch: must be null when revising the plan")
        if not plan_only and r.accepted and r.patch is None:
            problems.append("patch: an accepted revision comes with its patch")
        if r.patch is not None:
            problems += _patch_problems(r.patch, template, "patch")
        return problems

    return check


def interview(ask: InterviewAsk) -> Check[InterviewReply]:
    """A plan comes with a whole onboarding form the form's own rules accept, on pages the
    conversation may offer; without a plan, no form."""

    def check(r: InterviewReply) -> list[str]:
        if (r.plan is None) != (r.onboarding is None):
            return ["plan and onboarding: give both once the interview has enough, else neither"]
        if r.onboarding is None:
            return []
        try:
            form = Onboarding.model_validate(r.onboarding)
        except ValidationError as exc:
            return [f"onboarding.{p}" for p in problems_of(exc)]
        problems = []
        if form.locale is not ask.locale:
            problems.append(f"onboarding.locale: must be {ask.locale.value!r}")
        unknown = [p for p in form.pages if p not in ask.pages_offered]
        if unknown:
            problems.append(f"onboarding.pages: {unknown} are not pages this site may have")
        return problems

    return check
