"""The AI's side of a change request: a revised site plus its patch, or a refusal.

The model never acts (seed 002 §2.4): it returns the revised artifacts and a diff. Here they
are checked (the patch gate, the pages the client named) and stored as new versions; the
workflow applies, builds and deploys them like any other patch.
"""

from __future__ import annotations

from pathlib import Path

import structlog
from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from sitegen.activities.design_chain import DesignChain
from sitegen.activities.patch_scope import patch_violations
from sitegen.activities.support import ArtifactStore, Sessions, StepTracker, template_for
from sitegen.contracts.design import (
    HistoryArtifact,
    HistoryNote,
    RevertTarget,
    StyleGuide,
    Wireframe,
)
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
from sitegen.integrations.ai import reverts
from sitegen.integrations.ai.base import PatchScopeError, SiteAI
from sitegen.integrations.git.base import GitHost
from sitegen.integrations.storage.base import Storage
from sitegen.templates_registry import TemplateManifest

log = structlog.get_logger()

PAGES_DIR = "content/pages/"
# What a history entry's stored file is, per artifact a revert can put back.
RESTORABLE: dict[HistoryArtifact, type[reverts.Restored]] = {
    HistoryArtifact.SPEC: SiteSpec,
    HistoryArtifact.STYLE_GUIDE: StyleGuide,
    HistoryArtifact.CONTENT: SiteContent,
    HistoryArtifact.WIREFRAME: Wireframe,
}
SITEMAP_REVERT = (
    "the sitemap is the plan the site was built from; roll back to a version built from it instead"
)


def history_note(requested_by: str | None, source: str, message: str) -> HistoryNote:
    """Who asked for a change and why, as its history entries record it."""
    return HistoryNote(author=requested_by or source, message=message[:500])


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
        self.chain = DesignChain(self.artifacts)
        self.steps = StepTracker(sessions)

    async def _revert(
        self,
        target: RevertTarget,
        spec: SiteSpec,
        content: SiteContent,
        layout: LayoutPlan,
        files: dict[str, str],
        template: TemplateManifest,
    ) -> SiteRevision:
        """A revert's revision, made without a model; a refusal says why it cannot be."""
        label = f"{target.artifact.value.replace('_', ' ')} version {target.artifact_version}"
        kind = RESTORABLE.get(target.artifact)
        refused: reverts.RevertRefused
        try:
            if kind is None:
                raise reverts.RevertRefused(SITEMAP_REVERT)
            restored = await self.artifacts.load(target.storage_key, kind)
            return reverts.revert(
                target.artifact, restored, label, spec, content, layout, files, template
            )
        except reverts.RevertRefused as exc:
            refused = exc
        except (ApplicationError, PatchScopeError, ValidationError) as exc:
            # The stored version no longer loads or fits (the template changed since, say):
            # a refusal the client reads, never a step that fails for good.
            log.warning("revert.unusable", artifact=target.artifact.value, error=type(exc).__name__)
            refused = reverts.RevertRefused(f"the {label} can no longer be put back on this site")
        return SiteRevision(
            accepted=False,
            reason=str(refused)[:500],
            summary=f"Put back {label}",
            spec=spec,
            content=content,
            layout=layout,
        )

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
            target = step.revision.revert
            if target is not None:
                revision = await self._revert(target, spec, content, layout, files, template)
            else:
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
            asked = step.revision
            note = history_note(asked.requested_by, asked.source.value, asked.message)
            undo = target.history_version if target else None
            pid = project.project_id
            if revision.spec != spec:
                spec_ref = await self.artifacts.save_spec(pid, versions.spec, revision.spec)
                new.spec_key, new.spec_version = spec_ref.storage_key, spec_ref.version
                changed.append("spec")
                await self.chain.spec_stored(
                    pid,
                    versions.spec,
                    spec_ref.storage_key,
                    revision.spec,
                    note,
                    undo,
                    site.spec_key,
                )
            if revision.content != content:
                ref = await self.artifacts.save_model(
                    pid, ArtifactType.CONTENT, versions.content, "content", revision.content
                )
                new.content_key = ref.storage_key
                changed.append("content")
                await self.chain.content_stored(
                    pid, ref, revision.content, note, undo, site.content_key
                )
            if revision.layout != layout:
                ref = await self.artifacts.save_model(
                    pid, ArtifactType.LAYOUT_PLAN, versions.layout, "layout_plan", revision.layout
                )
                new.layout_key = ref.storage_key
                new.pages = [p.page_id for p in revision.layout.pages]
                changed.append("layout")
                await self.chain.layout_stored(pid, revision.layout, template, note, undo)
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
            target = step.request.revert
            if target is not None:
                revision = await self._plan_revert(target, spec)
            else:
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
            await self.chain.spec_stored(
                project.project_id,
                ref.version,
                ref.storage_key,
                revision.spec,
                history_note(step.request.requested_by, "client", step.request.message),
                target.history_version if target else None,
                site.spec_key,
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

    async def _plan_revert(self, target: RevertTarget, spec: SiteSpec) -> SiteRevision:
        """Before sign-off only the spec exists to put back (the style guide is made from
        it); the brief and sitemap are written again from the result, as for any change."""
        summary = f"Put back {target.artifact.value.replace('_', ' ')} {target.artifact_version}"
        refusal = (
            "before sign-off only the spec and the style guide can be put back; the sitemap "
            "and wireframe are written from the spec"
        )
        restored: SiteSpec | None = None
        try:
            if target.artifact is HistoryArtifact.SPEC:
                restored = await self.artifacts.load(target.storage_key, SiteSpec)
            elif target.artifact is HistoryArtifact.STYLE_GUIDE:
                guide = await self.artifacts.load(target.storage_key, StyleGuide)
                restored = spec.model_copy(update={"design": guide.brand})
        except (ApplicationError, ValidationError) as exc:
            log.warning("revert.unusable", artifact=target.artifact.value, error=type(exc).__name__)
            refusal = f"the {target.artifact.value.replace('_', ' ')} can no longer be put back"
        if restored is not None:
            return SiteRevision(accepted=True, summary=summary, changes=[summary], spec=restored)
        return SiteRevision(accepted=False, reason=refusal, summary=summary, spec=spec)
