"""Approval to delivery: merge the preview into main, build for the production address,
deploy it there, and tell everyone. The run ends delivered."""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.deploy import DeployActivities
    from sitegen.activities.repo import RepoActivities
    from sitegen.activities.review import ReviewActivities
    from sitegen.contracts.activities import ProjectRef
    from sitegen.contracts.pipeline import StepKey
    from sitegen.contracts.review import ApprovalAccepted, ApprovalRequested, ChangeRefused
    from sitegen.contracts.review_activities import (
        ApprovalRecord,
        MergeInput,
        ProductionDeployInput,
    )
    from sitegen.contracts.status import ProjectStatus
    from sitegen.workflows import policies
    from sitegen.workflows.review import ReviewLoop


class Delivery(ReviewLoop):
    # --- the update's side ----------------------------------------------------------------

    def check_approvable(self) -> None:
        if self._cancel is not None:
            raise ChangeRefused("the project is cancelled")
        if self.life is None or not self.life.versions:
            raise ChangeRefused("there is no preview to approve yet")
        if self.life.approval is None and self.pipeline.status not in (
            ProjectStatus.PREVIEW_READY,
            ProjectStatus.IN_REVIEW,
        ):
            raise ChangeRefused(f"the project is {self.pipeline.status}; it cannot be approved")

    def approve_now(self, request: ApprovalRequested) -> ApprovalAccepted:
        assert self.life is not None
        if self.life.approval is not None:
            return ApprovalAccepted(already_approved=True)
        self.life.approval = request
        self.pipeline.approved = True
        self.show_details()
        return ApprovalAccepted(
            already_approved=False, changes_before_delivery=len(self.life.queue)
        )

    # --- the run's side -------------------------------------------------------------------

    async def deliver(self, project: ProjectRef) -> None:
        """Everything after the approval; the project ends `delivered` or waits for an
        operator at the step that failed."""
        life = self.life
        assert life is not None and life.approval is not None
        self.waiting(None)
        await self._set_status(ProjectStatus.APPROVED)
        await self._local(
            ReviewActivities.record_approval,
            ApprovalRecord(
                project_id=project.project_id,
                approved_by=life.approval.approved_by,
                note=life.approval.note,
                version=life.live.number if life.live else None,
            ),
        )
        merged = await self.step(
            StepKey.MERGE_TO_MAIN,
            RepoActivities.merge_to_main,
            MergeInput(project=project, repo=life.repo),
            policies.EXTERNAL,
        )
        if merged is None:
            return
        build = await self.build_or_ask(
            project,
            life.repo,
            merged.sha,
            life.production_url,
            label="production",
            step=StepKey.BUILD_PRODUCTION,
        )
        if build is None or build.dist_key is None:
            return
        deploy = await self.step(
            StepKey.DEPLOY_PRODUCTION,
            DeployActivities.deploy_production,
            ProductionDeployInput(
                project=project, dist_key=build.dist_key, sha=merged.sha, subdomain=life.subdomain
            ),
            policies.EXTERNAL,
        )
        if deploy is None:
            return
        data = {"production_url": deploy.url, "preview_url": self.pipeline.preview_url}
        await asyncio.gather(
            self.notice("client", "delivered", "production", data),
            self.notice("workspace", "delivered", "production", data),
        )
        # Last: "delivered" means everything above has happened.
        await self._set_status(ProjectStatus.DELIVERED, production_url=deploy.url)
