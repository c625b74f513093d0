"""AI steps: each asks the model for one artifact, validates it, and stores it.

The model never acts (seed 002 §2.4): it returns documents and diffs; storing, applying
and building them is other activities' work.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from temporalio import activity

from sitegen.activities.design_chain import DesignChain
from sitegen.activities.patch_scope import patch_violations
from sitegen.activities.support import (
    ArtifactStore,
    Sessions,
    StepTracker,
    bad_input,
    read_onboarding,
    template_for,
)
from sitegen.contracts.activities import (
    AIStepInput,
    ArtifactRef,
    OnboardingStepInput,
    ProjectRef,
    SpecRef,
)
from sitegen.contracts.design import HistoryNote
from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.site import (
    AIUsage,
    CodePatch,
    LayoutPlan,
    SiteContent,
    Sitemap,
    SiteSpec,
)
from sitegen.contracts.status import ArtifactType
from sitegen.design.wireframe import follows, wireframe
from sitegen.integrations.ai.base import SiteAI
from sitegen.integrations.git.base import GitHost
from sitegen.integrations.storage.base import Storage
from sitegen.templates_registry import TemplateManifest

FROM_ONBOARDING = HistoryNote(author="client", message="made from the onboarding form")
WRITTEN_BY_AI = HistoryNote(author="ai", message="written by the AI from the site spec")


def total_usage(usages: list[AIUsage]) -> AIUsage:
    """One step's usage from its calls (a fanned-out content step: one per page)."""
    versions = sorted({u.prompt_version for u in usages if u.prompt_version})
    return AIUsage(
        model=usages[0].model,
        input_tokens=sum(u.input_tokens for u in usages),
        output_tokens=sum(u.output_tokens for u in usages),
        cost_usd=sum((u.cost_usd for u in usages), Decimal(0)),
        cache_read_tokens=sum(u.cache_read_tokens for u in usages),
        cache_write_tokens=sum(u.cache_write_tokens for u in usages),
        prompt_version=", ".join(versions)[:200] or None,
        requests=sum(u.requests for u in usages),
        latency_ms=max((u.latency_ms for u in usages), default=0),
        request_ids=[r for u in usages for r in u.request_ids][:20],
        persona=usages[0].persona,
    )


class AIActivities:
    def __init__(
        self, sessions: Sessions, storage: Storage, ai: SiteAI, git: GitHost, templates_dir: Path
    ) -> None:
        self.sessions = sessions
        self.ai = ai
        self.git = git
        self.templates_dir = templates_dir
        self.artifacts = ArtifactStore(sessions, storage)
        self.chain = DesignChain(self.artifacts)
        self.steps = StepTracker(sessions)

    async def _template(self, project: ProjectRef) -> TemplateManifest:
        return await template_for(self.templates_dir, project.template_id)

    @activity.defn
    async def create_site_spec(self, step: OnboardingStepInput) -> SpecRef:
        project = step.project
        async with self.steps.track(project.project_id, StepKey.CREATE_SITE_SPEC) as run:
            form = await read_onboarding(self.sessions, self.artifacts.storage, step)
            if form is None:
                raise bad_input("InvalidInput", "the onboarding is missing or not validated")
            result = await self.ai.site_spec(form, await self._template(project))
            ref = await self.artifacts.save_spec(project.project_id, 1, result.artifact)
            await self.chain.spec_stored(
                project.project_id, 1, ref.storage_key, result.artifact, FROM_ONBOARDING
            )
            run.output_ref, run.usage = ref.storage_key, result.usage
            return ref

    @activity.defn
    async def generate_brief(self, step: AIStepInput) -> ArtifactRef:
        async with self.steps.track(step.project.project_id, StepKey.GENERATE_BRIEF) as run:
            spec = await self.artifacts.load(step.spec_key, SiteSpec)
            result = await self.ai.brief(spec)
            ref = await self.artifacts.save(
                step.project.project_id,
                ArtifactType.BRIEF,
                step.version,
                "brief",
                "md",
                result.artifact.markdown.encode(),
                # Kept inline too (a few kB), so the API can show the plan without storage.
                inline=result.artifact.model_dump(mode="json"),
            )
            run.output_ref, run.usage = ref.storage_key, result.usage
            return ref

    @activity.defn
    async def generate_sitemap(self, step: AIStepInput) -> ArtifactRef:
        async with self.steps.track(step.project.project_id, StepKey.GENERATE_SITEMAP) as run:
            spec = await self.artifacts.load(step.spec_key, SiteSpec)
            template = await self._template(step.project)
            result = await self.ai.sitemap(spec, template)
            ref = await self.artifacts.save_model(
                step.project.project_id,
                ArtifactType.SITEMAP,
                step.version,
                "sitemap",
                result.artifact,
            )
            await self.chain.sitemap_stored(
                step.project.project_id, ref, result.artifact, template, WRITTEN_BY_AI
            )
            run.output_ref, run.usage = ref.storage_key, result.usage
            # The workflow checks a revision's pages against these.
            return ref.model_copy(update={"items": [p.id for p in result.artifact.pages]})

    @activity.defn
    async def generate_content(self, step: AIStepInput) -> ArtifactRef:
        """Every page's copy, written side by side."""
        async with self.steps.track(step.project.project_id, StepKey.GENERATE_CONTENT) as run:
            spec = await self.artifacts.load(step.spec_key, SiteSpec)
            sitemap = await self.artifacts.load(_need(step.sitemap_key, "sitemap"), Sitemap)
            # Every page runs to its end even when one fails: each answer is paid for and
            # kept in the cost ledger, so a retry asks again only for the pages that failed.
            # (Ending at the first failure would leave the others in flight, and a retry
            # started meanwhile would ask, and pay, for them again.)
            answers = await asyncio.gather(
                *(self.ai.page_content(spec, p) for p in sitemap.pages), return_exceptions=True
            )
            failed = [a for a in answers if isinstance(a, BaseException)]
            if failed:
                raise failed[0]
            results = [a for a in answers if not isinstance(a, BaseException)]
            content = SiteContent(pages=[r.artifact for r in results])
            ref = await self.artifacts.save_model(
                step.project.project_id, ArtifactType.CONTENT, step.version, "content", content
            )
            await self.chain.content_stored(step.project.project_id, ref, content, WRITTEN_BY_AI)
            run.output_ref, run.usage = ref.storage_key, total_usage([r.usage for r in results])
            return ref

    @activity.defn
    async def generate_layout_plan(self, step: AIStepInput) -> ArtifactRef:
        async with self.steps.track(step.project.project_id, StepKey.GENERATE_LAYOUT_PLAN) as run:
            spec = await self.artifacts.load(step.spec_key, SiteSpec)
            sitemap = await self.artifacts.load(_need(step.sitemap_key, "sitemap"), Sitemap)
            template = await self._template(step.project)
            result = await self.ai.layout_plan(spec, sitemap, template)
            # The layout places the wireframe's sections in its order, or it is not used.
            strays = follows(result.artifact, wireframe(sitemap, template))
            if strays:
                raise bad_input("LayoutInvalid", "; ".join(strays[:5]))
            ref = await self.artifacts.save_model(
                step.project.project_id,
                ArtifactType.LAYOUT_PLAN,
                step.version,
                "layout_plan",
                result.artifact,
            )
            run.output_ref, run.usage = ref.storage_key, result.usage
            return ref

    @activity.defn
    async def generate_code_patch(self, step: AIStepInput) -> ArtifactRef:
        async with self.steps.track(step.project.project_id, StepKey.GENERATE_CODE_PATCH) as run:
            spec, content, layout, files, template = await self._patch_inputs(step)
            result = await self.ai.code_patch(spec, content, layout, files, template)
            ref = await self._save_patch(step, template, result.artifact)
            run.output_ref, run.usage = ref.storage_key, result.usage
            return ref

    @activity.defn
    async def generate_fix_patch(self, step: AIStepInput) -> ArtifactRef:
        """Given the failed build's log, a patch that repairs the editable files."""
        async with self.steps.track(step.project.project_id, StepKey.GENERATE_FIX_PATCH) as run:
            spec, content, layout, files, template = await self._patch_inputs(step)
            report = await self.artifacts.storage.get(_need(step.build_report_key, "build report"))
            result = await self.ai.fix_patch(
                spec, content, layout, files, template, build_log=report.decode(errors="replace")
            )
            ref = await self._save_patch(step, template, result.artifact)
            run.output_ref, run.usage = ref.storage_key, result.usage
            return ref

    async def _patch_inputs(
        self, step: AIStepInput
    ) -> tuple[SiteSpec, SiteContent, LayoutPlan, dict[str, str], TemplateManifest]:
        template = await self._template(step.project)
        spec = await self.artifacts.load(step.spec_key, SiteSpec)
        content = await self.artifacts.load(_need(step.content_key, "content"), SiteContent)
        layout = await self.artifacts.load(_need(step.layout_key, "layout plan"), LayoutPlan)
        files = await self.git.read_files(
            step.project.slug, _need(step.repo_ref, "repo ref"), list(template.editable_files)
        )
        return spec, content, layout, files, template

    async def _save_patch(
        self, step: AIStepInput, template: TemplateManifest, patch: CodePatch
    ) -> ArtifactRef:
        problems = patch_violations(patch.diff, template)
        if problems:
            raise bad_input("PatchRejected", "; ".join(problems[:5]))
        return await self.artifacts.save(
            step.project.project_id,
            ArtifactType.CODE_PATCH,
            step.version,
            "code_patch",
            "diff",
            patch.diff.encode(),
            inline={"paths": patch.paths, "summary": patch.summary},
        )


def _need(value: str | None, what: str) -> str:
    if value is None:
        raise bad_input("InvalidInput", f"the {what} is required for this step")
    return value
