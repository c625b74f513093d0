"""The AI's side of a change request: a revised site plus its patch, or a refusal.

The model never acts (seed 002 §2.4): it returns the revised artifacts and a diff. Here they
are checked (the patch gate, the pages the client named) and stored as new versions; the
workflow applies, builds and deploys them like any other patch.
"""

from __future__ import annotations

from pathlib import Path

import structlog
from temporalio import activity

from sitegen.activities.patch_scope import patch_violations
from sitegen.activities.support import ArtifactStore, Sessions, StepTracker, template_for
from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.review import SiteArtifacts
from sitegen.contracts.review_activities import (
    PlanRevisionInput,
    RevisionOutcome,
    RevisionStepInput,
)
from sitegen.contracts.revision import RevisionAsk, SiteRevision
from sitegen.contracts.site import LayoutPlan, SiteContent, SiteSpec
from sitegen.contracts.status import ArtifactType
from sitegen.integrations.ai.base import SiteAI
from sitegen.integrations.git.base import GitHost
from sitegen.integrations.storage.base import Storage
from sitegen.templates_registry import TemplateManifest

log = structlog.get_logger()

PAGES_DIR = "content/pages/"


def pages_outside(revision: SiteRevision, ask: RevisionAsk) -> list[str]:
    """Pages the patch changes that the client did not name (when they named any)."""
    if not ask.affected_pages or revision.patch is None:
        return []
    touched = {
        path[len(PAGES_DIR) :].removesuffix(".json")
        for path in revision.patch.paths
        if path.startswith(PAGES_DIR)
    }
    return sorted(touched - set(ask.affected_pages))


class RevisionActivities:
    def __init__(
        self, sessions: Sessions, storage: Storage, ai: SiteAI, git: GitHost, templates_dir: Path
    ) -> None:
        self.ai = ai
        self.git = git
        self.templates_dir = templates_dir
        self.artifacts = ArtifactStore(sessions, storage)
        self.steps = StepTracker(sessions)

    @activity.defn
    async def generate_revision_patch(self, step: RevisionStepInput) -> RevisionOutcome:
        project, site = step.project, step.site
        async with self.steps.track(
            project.project_id, StepKey.GENERATE_REVISION_PATCH, step.revision.revision_id
        ) as run:
            template = await template_for(self.templates_dir, project.template_id)
            spec = await self.artifacts.load(site.spec_key, SiteSpec)
            content = await self.artifacts.load(site.content_key, SiteContent)
            layout = await self.artifacts.load(site.layout_key, LayoutPlan)
            files = await self.git.read_files(
                project.slug, step.repo_ref, list(template.editable_files)
            )
            ask = RevisionAsk(
                message=step.revision.message, affected_pages=step.revision.affected_pages
            )
            result = await self.ai.revision(ask, spec, content, layout, files, template)
            revision = result.artifact
            run.usage = result.usage
            refusal = self._refusal(revision, ask, template)
            run.details = {
                "accepted": refusal is None,
                "revision_id": str(step.revision.revision_id),
            }
            if refusal is not None:
                run.message = f"refused: {refusal}"
                return RevisionOutcome(
                    accepted=False, reason=refusal, summary=revision.summary, site=site
                )
            assert revision.patch is not None
            assert revision.content is not None and revision.layout is not None
            versions, changed = step.next_versions, []
            new = site.model_copy()
            if revision.spec != spec:
                spec_ref = await self.artifacts.save_spec(
                    project.project_id, versions.spec, revision.spec
                )
                new.spec_key, new.spec_version = spec_ref.storage_key, spec_ref.version
                changed.append("spec")
            if revision.content != content:
                ref = await self.artifacts.save_model(
                    project.project_id,
                    ArtifactType.CONTENT,
                    versions.content,
                    "content",
                    revision.content,
                )
                new.content_key = ref.storage_key
                changed.append("content")
            if revision.layout != layout:
                ref = await self.artifacts.save_model(
                    project.project_id,
                    ArtifactType.LAYOUT_PLAN,
                    versions.layout,
                    "layout_plan",
                    revision.layout,
                )
                new.layout_key = ref.storage_key
                new.pages = [p.page_id for p in revision.layout.pages]
                changed.append("layout")
            patch = await self.artifacts.save(
                project.project_id,
                ArtifactType.CODE_PATCH,
                versions.code_patch,
                "code_patch",
                "diff",
                revision.patch.diff.encode(),
                inline={
                    "paths": revision.patch.paths,
                    "summary": revision.summary,
                    "revision_id": str(step.revision.revision_id),
                },
            )
            changed.append("code_patch")
            run.output_ref = patch.storage_key
            return RevisionOutcome(
                accepted=True,
                summary=revision.summary,
                changes=revision.changes,
                patch=patch,
                site=new,
                changed=changed,
            )

    def _refusal(
        self, revision: SiteRevision, ask: RevisionAsk, template: TemplateManifest
    ) -> str | None:
        """Why this answer cannot be applied, in words for the client; None when it can."""
        if not revision.accepted:
            return revision.reason or "the change could not be understood"
        if revision.patch is None or revision.content is None or revision.layout is None:
            return "the change produced no files to update"
        if not revision.patch.diff.strip():
            return "the site already looks like that; nothing to change"
        problems = patch_violations(revision.patch.diff, template)
        if problems:
            # The AI tried to reach beyond the site's content: never applied, always logged.
            log.warning("revision.patch_out_of_scope", problems=problems[:5])
            return "the change would touch parts of the site that revisions may not change"
        outside = pages_outside(revision, ask)
        if outside:
            return f"the change would also alter page(s) you did not name: {', '.join(outside)}"
        return None

    @activity.defn
    async def revise_plan(self, step: PlanRevisionInput) -> RevisionOutcome:
        project, site = step.project, step.site
        async with self.steps.track(project.project_id, StepKey.REVISE_PLAN) as run:
            template = await template_for(self.templates_dir, project.template_id)
            spec = await self.artifacts.load(site.spec_key, SiteSpec)
            ask = RevisionAsk(message=step.request.message)
            result = await self.ai.plan_revision(ask, spec, template)
            revision = result.artifact
            run.usage = result.usage
            reason = revision.reason if not revision.accepted else None
            if revision.accepted and revision.spec == spec:
                reason = "the plan already looks like that; nothing to change"
            run.details = {"accepted": reason is None}
            if reason is not None:
                run.message = f"refused: {reason}"
                return RevisionOutcome(
                    accepted=False, reason=reason, summary=revision.summary, site=site
                )
            ref = await self.artifacts.save_spec(
                project.project_id, step.next_versions.spec, revision.spec
            )
            run.output_ref = ref.storage_key
            new: SiteArtifacts = site.model_copy(
                update={"spec_key": ref.storage_key, "spec_version": ref.version}
            )
            return RevisionOutcome(
                accepted=True,
                summary=revision.summary,
                changes=revision.changes,
                site=new,
                changed=["spec"],
            )
