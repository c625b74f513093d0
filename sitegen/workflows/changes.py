"""One change to a live preview, applied: a revision (AI patch → commit → build with the fix
loop → deploy) or a rollback (an earlier version's files as a new commit → build → deploy).
Either becomes a new version with an immutable URL of its own. Nothing is rewritten: a change
that cannot be made puts the live files back on top and says why; the preview never changes.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.deploy import DeployActivities
    from sitegen.activities.repo import RepoActivities
    from sitegen.activities.review import ReviewActivities
    from sitegen.activities.revisions import RevisionActivities
    from sitegen.contracts.activities import (
        AIStepInput,
        CommitOutcome,
        DeployInput,
        NewVersion,
        ProjectRef,
    )
    from sitegen.contracts.life import LifeState
    from sitegen.contracts.pipeline import StepKey
    from sitegen.contracts.review import (
        ChangeKind,
        PendingChange,
        SiteArtifacts,
        VersionInfo,
        VersionKind,
    )
    from sitegen.contracts.review_activities import (
        RestoreInput,
        RevisionMark,
        RevisionStepInput,
    )
    from sitegen.contracts.status import RevisionStatus
    from sitegen.workflows import policies
    from sitegen.workflows.generation import Generation

SET_ASIDE = "an operator set this change aside; the preview is unchanged"
# While a change is under way, an operator may skip its failed step: the change is then set
# aside (rejected) and the live preview stays as it was.
CHANGE_STEPS = frozenset(
    {
        StepKey.GENERATE_REVISION_PATCH,
        StepKey.APPLY_PATCH,
        StepKey.GENERATE_FIX_PATCH,
        StepKey.BUILD_AND_TEST,
        StepKey.RESTORE_VERSION,
        StepKey.DEPLOY_PREVIEW,
    }
)


class Changes(Generation):
    def __init__(self) -> None:
        super().__init__()
        self.life: LifeState | None = None
        self._working = False

    def skippable(self) -> frozenset[StepKey]:
        return super().skippable() | (CHANGE_STEPS if self._working else frozenset())

    async def _revise(self, project: ProjectRef, change: PendingChange) -> None:
        life = self.life
        request = change.revision
        assert life is not None and request is not None
        await self._mark_revisions([change], RevisionStatus.PROCESSING)
        n = life.changes_done + 1
        outcome = await self.step(
            StepKey.GENERATE_REVISION_PATCH,
            RevisionActivities.generate_revision_patch,
            RevisionStepInput(
                project=project,
                revision=request,
                site=life.site,
                repo_ref=life.head,
                next_versions=self.counters.following(),
            ),
            policies.AI,
            summary=f"generate_revision_patch · change {n}",
        )
        if outcome is None:
            if self._cancel is None:
                await self._reject(change, SET_ASIDE)
            return
        if outcome.patch is None or not outcome.accepted:
            await self._reject(change, outcome.reason or "the change could not be made")
            return
        for kind in outcome.changed:
            self.counters.take(kind)
        build = await self.apply_and_build(
            project,
            life.repo,
            AIStepInput(
                project=project,
                spec_key=outcome.site.spec_key,
                sitemap_key=outcome.site.sitemap_key,
                content_key=outcome.site.content_key,
                layout_key=outcome.site.layout_key,
            ),
            outcome.patch,
            life.site_url,
            change=str(change.change_id),
            operator_decides=False,
        )
        if build is None or not build.ok or build.dist_key is None:
            await self._give_up(
                project,
                change,
                SET_ASIDE
                if build is None
                else f"the site did not build with this change, even after {self.max_fixes} "
                "automatic fixes; the preview is unchanged",
            )
            return
        published = await self._publish(
            project,
            change,
            VersionKind.REVISION,
            self._built_sha,
            build.dist_key,
            outcome.site,
            diff_ref=outcome.patch.storage_key,
            summary=outcome.summary,
        )
        if not published:
            await self._give_up(project, change, SET_ASIDE)
            return
        await self._mark_revisions(
            [change],
            RevisionStatus.APPLIED,
            summary=outcome.summary,
            commit=self._built_sha,
            diff_ref=outcome.patch.storage_key,
        )
        await self.notice(
            "client",
            "revision_applied",
            str(change.change_id),
            {"summary": outcome.summary, "preview_url": self.pipeline.preview_url},
        )

    async def _give_up(self, project: ProjectRef, change: PendingChange, reason: str) -> None:
        """The change's commits may be on the branch: put the live files back on top, then
        say why it was not made. A cancelled project does nothing more."""
        life = self.life
        if self._cancel is not None or life is None:
            return
        await self._restore(
            project, change, life.live.commit if life.live else life.head, again=True
        )
        await self._reject(change, reason)

    async def _reject(self, change: PendingChange, reason: str) -> None:
        await self._mark_revisions([change], RevisionStatus.REJECTED, reason)
        if change.kind == ChangeKind.REVISION:
            await self.notice(
                "client", "revision_rejected", str(change.change_id), {"reason": reason}
            )

    async def _mark_revisions(
        self,
        changes: list[PendingChange],
        status: RevisionStatus,
        reason: str | None = None,
        **applied: str,
    ) -> None:
        ids = [c.change_id for c in changes if c.kind == ChangeKind.REVISION]
        if ids:
            await self._local(
                ReviewActivities.mark_revisions,
                RevisionMark(
                    project_id=self.pipeline.project_id,
                    revision_ids=ids,
                    status=status,
                    reason=reason,
                    **applied,
                ),
            )

    # --- one rollback -------------------------------------------------------------------------

    async def _rollback(self, project: ProjectRef, change: PendingChange) -> None:
        life = self.life
        assert life is not None and change.rollback_to is not None
        target = life.version(change.rollback_to)
        assert target is not None  # the validator checked it
        commit = await self._restore(project, change, target.commit)
        if commit is None:
            await self._give_up(project, change, SET_ASIDE)
            return
        build = await self.build(
            project, life.repo, commit.sha, life.site_url, label=f"rollback to {target.number}"
        )
        if build is None or not build.ok or build.dist_key is None:
            if self._cancel is None and life.live is not None:
                await self._restore(project, change, life.live.commit, again=True)
                await self.notice(
                    "workspace",
                    "rollback_failed",
                    str(change.change_id),
                    {"version": target.number},
                )
            return
        await self._publish(
            project,
            change,
            VersionKind.ROLLBACK,
            commit.sha,
            build.dist_key,
            target.site,
            rolled_back_to=target.number,
        )

    async def _restore(
        self, project: ProjectRef, change: PendingChange, sha: str, again: bool = False
    ) -> CommitOutcome | None:
        life = self.life
        assert life is not None
        reason = (
            f"Roll back to version {change.rollback_to}"
            if change.kind == ChangeKind.ROLLBACK and not again
            else f"Put back the live version after failed {change.kind} {change.change_id}"
        )
        commit = await self.step(
            StepKey.RESTORE_VERSION,
            RepoActivities.restore_version,
            RestoreInput(
                project=project,
                repo=life.repo,
                source_sha=sha,
                reason=reason,
                change_id=change.change_id,
                purpose="put-back" if again or change.kind == ChangeKind.REVISION else "rollback",
            ),
            policies.EXTERNAL,
            summary=f"restore_version · {reason[:60]}",
        )
        if commit is not None:
            life.head = commit.sha
        return commit

    # --- the new live version -----------------------------------------------------------------

    async def _publish(
        self,
        project: ProjectRef,
        change: PendingChange,
        kind: VersionKind,
        sha: str,
        dist_key: str,
        site: SiteArtifacts,
        *,
        diff_ref: str | None = None,
        summary: str | None = None,
        rolled_back_to: int | None = None,
    ) -> bool:
        life = self.life
        assert life is not None
        # Taken before the deploy, so a retried deploy keeps its number and one set aside
        # never lends it to the next change (a version's address is forever).
        if life.versions:
            self.counters.version = max(self.counters.version, life.versions[-1].number)
        number = self.counters.take("version")
        requested_by = change.revision.requested_by if change.revision else change.requested_by
        deploy = await self.step(
            StepKey.DEPLOY_PREVIEW,
            DeployActivities.deploy_preview,
            DeployInput(
                project=project,
                dist_key=dist_key,
                sha=sha,
                version=NewVersion(
                    number=number,
                    kind=kind,
                    subdomain=life.subdomain,
                    revision_id=change.change_id if change.revision else None,
                    rolled_back_to=rolled_back_to,
                    requested_by=requested_by,
                    spec_version=site.spec_version,
                    artifact_keys=site.model_dump(exclude={"spec_version", "pages"}),
                    diff_ref=diff_ref,
                    summary=summary,
                ),
            ),
            policies.EXTERNAL,
            summary=f"deploy_preview · version {number}",
        )
        if deploy is None:
            return False
        life.head = sha
        life.site = site
        life.versions.append(
            VersionInfo(
                number=number,
                kind=kind,
                commit=sha,
                deploy_id=deploy.deploy_id,
                url=deploy.version_url or deploy.url,
                revision_id=change.change_id if change.revision else None,
                rolled_back_to=rolled_back_to,
                requested_by=requested_by,
                created_at=workflow.now(),
                site=site,
            )
        )
        self.pipeline.current_version = number
        return True
