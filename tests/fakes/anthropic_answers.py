"""What the fake Messages API answers with: the offline AI's result for the same inputs,
read from the request's data tags, so a Claude run and an offline run can be compared."""

from __future__ import annotations

from typing import Any

from sitegen.contracts.conversation import InterviewAsk
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.revision import RevisionAsk
from sitegen.contracts.site import LayoutPlan, SiteContent, Sitemap, SitemapPage, SiteSpec
from sitegen.integrations.ai.offline import OfflineAI
from sitegen.templates_registry import TemplateManifest


async def offline_answer(tool: str, tags: dict[str, Any]) -> Any:
    """The offline AI's answer to the same inputs: the fake's recorded behaviour."""
    ai = OfflineAI()
    template = TemplateManifest.model_validate(tags["template"])
    if tool == "submit_interview_reply":
        return await ai.interview(InterviewAsk.model_validate(tags["interview_ask"]))
    if tool == "submit_site_spec":
        return await ai.site_spec(Onboarding.model_validate(tags["onboarding"]), template)
    spec = SiteSpec.model_validate(tags["site_spec"])
    if tool == "submit_brief":
        return await ai.brief(spec)
    if tool == "submit_sitemap":
        return await ai.sitemap(spec, template)
    if tool == "submit_page_content":
        return await ai.page_content(spec, SitemapPage.model_validate(tags["page"]))
    if tool == "submit_layout_plan":
        return await ai.layout_plan(spec, Sitemap.model_validate(tags["sitemap"]), template)
    if tool == "submit_site_revision" and "files" not in tags:
        return await ai.plan_revision(
            RevisionAsk.model_validate(tags["revision_ask"]), spec, template
        )
    content = SiteContent.model_validate(tags["content"])
    layout = LayoutPlan.model_validate(tags["layout_plan"])
    files: dict[str, str] = tags["files"]
    if tool == "submit_site_revision":
        ask = RevisionAsk.model_validate(tags["revision_ask"])
        return await ai.revision(ask, spec, content, layout, files, template)
    if "build_log" in tags:
        return await ai.fix_patch(spec, content, layout, files, template, tags["build_log"])
    return await ai.code_patch(spec, content, layout, files, template)
