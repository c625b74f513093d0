"""After the first preview: the client's changes, applied one at a time and in order.

A revision is one AI patch, one commit, one build through the same gates and fix loop as the
generation, and one deploy to the same preview URL (plus an immutable URL of its own). A
rollback puts an earlier version's files back as a new commit. Nothing is rewritten: a
change that cannot be made leaves the live preview as it was and says why.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.build import BuildActivities
    from sitegen.activities.deploy import DeployActivities
    from sitegen.activities.repo import RepoActivities
    from sitegen.activities.review import ReviewActivities
    from sitegen.activities.revisions import RevisionActivities
    from sitegen.contracts.activities import (
        AIStepInput,
        BuildInput,
        CommitOutcome,
        DeployInput,
        NewVersion,
        ProjectRef,
    )
    from sitegen.contracts.life import LifeState
    from sitegen.contracts.pipeline import ReviewTimers, StepKey
    from sitegen.contracts.review import (
        MAX_QUEUED_CHANGES,
        ChangeKind,
        ChangeRefused,
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
    from sitegen.contracts.status import ProjectStatus, RevisionStatus
    from sitegen.workflows import policies
    from sitegen.workflows.generation import Generation, build_problem

WAITING_FOR_REVIEW = "review"
# Reviewable states: the client looks at the preview, or a change of theirs is under way.
OPEN_FOR_CHANGES = (ProjectStatus.PREVIEW_READY, ProjectStatus.IN_REVIEW)


class ReviewLoop(Generation):
    def __init__(self) -> None:
        super().__init__()
        self.life: LifeState | None = None
        self.timers = ReviewTimers()
        self._working = False

    # --- the validators' side -----------------------------------------------------------------

    def check_open_for_changes(self) -> LifeState:
        if self._cancel is not None:
            raise ChangeRefused("the project is cancelled")
        if self.life is None or not self.life.versions:
            raise ChangeRefused("the preview is not ready yet")
        if self.life.approval is not None:
            raise ChangeRefused("the site is approved and being delivered; no more changes")
        status = self.pipeline.status
        if status not in OPEN_FOR_CHANGES:
            raise ChangeRefused(f"the project is {status}, not open for changes")
        if len(self.life.queue) >= MAX_QUEUED_CHANGES:
            raise ChangeRefused(
                f"{len(self.life.queue)} changes are already waiting; send this one when "
                "some are done"
            )
        return self.life

    def queue_change(self, change: PendingChange) -> int:
        """Append to the queue; the position counts the change in progress as first."""
        assert self.life is not None
        self.life.queue.append(change)
        self.pipeline.queued_changes = len(self.life.queue) - (1 if self._working else 0)
        self.show_details()
        return len(self.life.queue)

    # --- the loop ---------------------------------------------------------------------------

    async def next_change_or_nudge(self) -> None:
        """Wait for the client (or an operator) to do something, nudging them when the
        preview has waited too long."""
        life = self.life
        assert life is not None
        if self.pipeline.waiting_for != WAITING_FOR_REVIEW:
            self.waiting(WAITING_FOR_REVIEW)
            await self._set_status(ProjectStatus.PREVIEW_READY)
        due = self._next_nudge()
        try:
            await workflow.wait_condition(
                lambda: bool(life.queue) or life.approval is not None or self._cancel is not None,
                timeout=due,
                timeout_summary="review reminder",
            )
        except TimeoutError:
            await self._nudge()

    def _next_nudge(self) -> timedelta | None:
        life = self.life
        assert life is not None
        if life.review_since is None:
            return None
        waited = workflow.now() - life.review_since
        if not life.reminded_client:
            return max(self.timers.remind_client_after - waited, timedelta(seconds=1))
        if not life.alerted_workspace:
            return max(self.timers.alert_workspace_after - waited, timedelta(seconds=1))
        return None

    async def _nudge(self) -> None:
        life = self.life
        assert life is not None and life.live is not None
        since = life.review_since.isoformat() if life.review_since else ""
        data = {"preview_url": self.pipeline.preview_url, "version": life.live.number}
        if not life.reminded_client:
            life.reminded_client = True
            await self.notice("client", "review_reminder", f"v{life.live.number}", data)
        elif not life.alerted_workspace:
            life.alerted_workspace = True
            await self.notice(
                "workspace", "review_stalled", f"v{life.live.number}", {**data, "since": since}
            )

    async def apply_next_change(self, project: ProjectRef) -> None:
        life = self.life
        assert life is not None
        change = life.queue[0]
        self._working = True
        total = life.changes_done + len(life.queue)
        self.pipeline.working_on = f"{change.kind} {life.changes_done + 1} of {total}"
        self.pipeline.queued_changes = len(life.queue) - 1
        self.waiting(None)
        if self.pipeline.status != ProjectStatus.IN_REVIEW:
            await self._set_status(ProjectStatus.IN_REVIEW)
        else:
            self.show_details()
        if change.kind == ChangeKind.REVISION:
            await self._revise(project, change)
        else:
            await self._rollback(project, change)
        life.queue.pop(0)
        life.changes_done += 1
        self._working = False
        self.pipeline.working_on = None
        self.pipeline.queued_changes = max(len(life.queue) - 1, 0)
        # The client has something new to look at: the review clock starts again.
        life.review_since = workflow.now()
        life.reminded_client = life.alerted_workspace = False

    # --- one revision -------------------------------------------------------------------------

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
        if outcome is None or outcome.patch is None or not outcome.accepted:
            reason = outcome.reason if outcome else "the change could not be processed"
            await self._reject(change, reason or "the change could not be made")
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
            if self._cancel is not None:
                return
            # Its commits are on the branch: put the live version's files back on top.
            await self._restore(project, change, life.live.commit if life.live else life.head)
            await self._reject(
                change,
                f"the site did not build with this change, even after {self.max_fixes} "
                "automatic fixes; the preview is unchanged",
            )
            return
        await self._publish(
            project,
            change,
            VersionKind.REVISION,
            self._built_sha,
            build.dist_key,
            outcome.site,
            diff_ref=outcome.patch.storage_key,
            summary=outcome.summary,
        )
        await self.notice(
            "client",
            "revision_applied",
            str(change.change_id),
            {"summary": outcome.summary, "preview_url": self.pipeline.preview_url},
        )

    async def _reject(self, change: PendingChange, reason: str) -> None:
        await self._mark_revisions([change], RevisionStatus.REJECTED, reason)
        if change.kind == ChangeKind.REVISION:
            await self.notice(
                "client", "revision_rejected", str(change.change_id), {"reason": reason}
            )

    async def _mark_revisions(
        self, changes: list[PendingChange], status: RevisionStatus, reason: str | None = None
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
            return
        build = await self.step(
            StepKey.BUILD_AND_TEST,
            BuildActivities.build_and_test,
            BuildInput(
                project=project,
                repo=life.repo,
                sha=commit.sha,
                attempt=1,
                site_url=life.site_url,
                report_version=self.counters.take("build_report"),
            ),
            policies.BUILD,
            summary=f"build_and_test · rollback to version {target.number}",
            soft_failure=build_problem,
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
    ) -> None:
        life = self.life
        assert life is not None
        number = len(life.versions) + 1
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
            return
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
