"""SiteGenerationWorkflow: one durable run per project, from onboarding to delivery.

Deterministic orchestration only: every side effect is an activity, every decision is here.
The life of a project: onboarding → generation (optionally paused for plan sign-off) → a
live preview the client revises, one change at a time → approval → production → delivered.
Cancellation stops it cleanly at any point. A long review continues as new, carrying its
state, so a project can live for months.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.deploy import DeployActivities
    from sitegen.activities.review import ReviewActivities
    from sitegen.contracts.activities import ProjectRef
    from sitegen.contracts.life import LifeState
    from sitegen.contracts.operator import CancelRequest, DecisionAccepted, OperatorDecision
    from sitegen.contracts.pipeline import (
        WORKFLOW_NAME,
        GenerateSiteInput,
        OnboardingCorrected,
        PipelineState,
    )
    from sitegen.contracts.review import (
        ApprovalAccepted,
        ApprovalRequested,
        ChangeKind,
        ChangeQueued,
        PendingChange,
        PlanApproval,
        PlanDecisionAccepted,
        PlanRevisionRequested,
        RevisionRequested,
        RollbackRequested,
        UnknownPage,
        VersionRefused,
    )
    from sitegen.contracts.review_activities import RevisionRecord, TakeDownInput
    from sitegen.contracts.status import ProjectStatus, RevisionStatus
    from sitegen.workflows import policies
    from sitegen.workflows.delivery import Delivery
    from sitegen.workflows.steps import CUSTOMER_ID, PROJECT_SLUG

# Runs started before this patch (their histories are in tests/histories/) wait for cancel
# after the preview; newer runs live the whole project life described above.
PROJECT_LIFE = "project-life-v1"
# Continue as new well before Temporal's limit of 2,000 updates per run.
UPDATES_PER_RUN = 500


@workflow.defn(name=WORKFLOW_NAME)
class SiteGenerationWorkflow(Delivery):
    @workflow.init
    def __init__(self, order: GenerateSiteInput) -> None:
        super().__init__()
        self.order = order
        self.plan_approval = order.plan_approval
        self.first_version = order.first_version
        self.correction_check_after = order.correction_check_after
        self.timers = order.review
        self._updates = 0
        self._worked = False
        if order.carried is not None:
            # Restored before any message is handled, so validators see the real state.
            self.life = LifeState.from_carried(order.carried)
            self.pipeline = self.life.pipeline
            self.counters = self.life.counters
            self._failures = self.life.failures

    # --- messages ----------------------------------------------------------------------

    @workflow.query
    def state(self) -> PipelineState:
        return self.pipeline

    @workflow.signal
    def onboarding_corrected(self, correction: OnboardingCorrected) -> None:
        self._onboarding_revision = max(self._onboarding_revision, correction.revision)

    @workflow.signal
    def cancel(self, request: CancelRequest) -> None:
        if self.pipeline.status != ProjectStatus.DELIVERED:  # a delivered site stays live
            self._cancel = self._cancel or request

    @workflow.update
    def resolve_failure(self, decision: OperatorDecision) -> DecisionAccepted:
        self.decide(decision)
        return DecisionAccepted(step=decision.step, action=decision.action)

    @resolve_failure.validator
    def _validate_decision(self, decision: OperatorDecision) -> None:
        self.check_decision(decision)

    @workflow.update
    async def request_revision(self, request: RevisionRequested) -> ChangeQueued:
        self._updates += 1
        # Queued at once, in the order the updates were accepted; the run takes no change
        # while a handler is still storing one (it waits for all handlers to finish).
        position = self.queue_change(
            PendingChange(
                kind=ChangeKind.REVISION,
                change_id=request.revision_id,
                revision=request,
                requested_by=request.requested_by,
            )
        )
        # Stored before the update returns: once the client has an id, the row exists.
        await self._local(
            ReviewActivities.record_revision,
            RevisionRecord(project_id=self.pipeline.project_id, revision=request),
        )
        return ChangeQueued(change_id=request.revision_id, position=position)

    @request_revision.validator
    def _validate_revision(self, request: RevisionRequested) -> None:
        life = self.check_open_for_changes()
        unknown = [p for p in request.affected_pages if p not in life.site.pages]
        if unknown:
            raise UnknownPage(
                f"page '{unknown[0]}' is not on this site (pages: {', '.join(life.site.pages)})"
            )
        if request.revision_id in life.handled or any(
            c.change_id == request.revision_id for c in life.queue
        ):
            raise ValueError("this revision was already received")

    @workflow.update
    def rollback(self, request: RollbackRequested) -> ChangeQueued:
        self._updates += 1
        position = self.queue_change(
            PendingChange(
                kind=ChangeKind.ROLLBACK,
                change_id=request.change_id,
                rollback_to=request.version,
                requested_by=request.requested_by,
            )
        )
        return ChangeQueued(change_id=request.change_id, position=position)

    @rollback.validator
    def _validate_rollback(self, request: RollbackRequested) -> None:
        life = self.check_open_for_changes()
        if life.version(request.version) is None:
            raise VersionRefused(
                f"there is no version {request.version} of this site "
                f"(versions {life.versions[0].number} to {life.versions[-1].number})"
            )
        if life.live is not None and life.live.number == request.version and not life.queue:
            raise VersionRefused(f"version {request.version} is already the live preview")

    @workflow.update
    def approve(self, request: ApprovalRequested) -> ApprovalAccepted:
        self._updates += 1
        return self.approve_now(request)

    @approve.validator
    def _validate_approval(self, request: ApprovalRequested) -> None:
        self.check_approvable()

    @workflow.update
    def approve_plan(self, approval: PlanApproval) -> PlanDecisionAccepted:
        return self.approve_plan_now(approval)

    @approve_plan.validator
    def _validate_plan_approval(self, approval: PlanApproval) -> None:
        self.check_plan_approval()

    @workflow.update
    async def revise_plan(self, request: PlanRevisionRequested) -> PlanDecisionAccepted:
        return await self.revise_plan_now(request)

    @revise_plan.validator
    def _validate_plan_revision(self, request: PlanRevisionRequested) -> None:
        self.check_plan_revision()

    # --- the run ------------------------------------------------------------------------

    @workflow.run
    async def run(self, order: GenerateSiteInput) -> PipelineState:
        self.v2 = workflow.patched(PROJECT_LIFE)
        info = workflow.info()
        generation = self.life.generation if self.life else info.run_id
        project = ProjectRef(
            project_id=order.project_id,
            workflow_id=info.workflow_id,
            slug=order.slug,
            template_id=order.template_id,
            generation=generation if self.v2 else "",
        )
        if self.life is None:
            self.begin(project, order.max_fix_attempts)
            workflow.upsert_search_attributes(
                [PROJECT_SLUG.value_set(order.slug), CUSTOMER_ID.value_set(str(order.customer_id))]
            )
            await self.start_pipeline_rows()
        else:
            self.project, self.max_fixes = project, order.max_fix_attempts
        if not self.v2:
            return await self._run_before_project_life(project)
        body = asyncio.ensure_future(self._live(project))
        try:
            await workflow.wait_condition(lambda: body.done() or self._cancel is not None)
        except asyncio.CancelledError:
            # Cancelled from Temporal itself (UI or CLI): wind down, record it, honour it.
            self._cancel = self._cancel or CancelRequest(reason="cancelled in Temporal")
            await asyncio.shield(self._wind_down(body))
            raise
        if body.done() and not body.cancelled():
            error = body.exception()
            if error is not None:
                raise error  # continue-as-new (or a failure that ends the run)
            if self._cancel is None or self.pipeline.status == ProjectStatus.DELIVERED:
                return self.pipeline
        await self._wind_down(body)
        return self.pipeline

    async def _live(self, project: ProjectRef) -> None:
        if self.life is None:
            subdomain, onboarding_key = await self.validated_onboarding(project)
            if subdomain is None:
                return
            await self._set_status(ProjectStatus.GENERATING)
            first = await self.generate(project, subdomain, onboarding_key)
            if first is None:
                self._cancel = self._cancel or CancelRequest(reason="generation stopped")
                return
            self.pipeline.current_version = first.version.number
            self.counters.version = first.version.number
            self.life = LifeState(
                pipeline=self.pipeline,
                generation=project.generation,
                subdomain=first.subdomain,
                site_url=first.site_url,
                production_url=first.production_url,
                repo=first.repo,
                site=first.site,
                head=first.head,
                versions=[first.version],
                counters=first.counters,
                review_since=workflow.now(),
                failures=dict(self._failures),
            )
            self._failures = self.life.failures
            self.waiting("review")
            await self._set_status(ProjectStatus.PREVIEW_READY, preview_url=first.url)
            self._worked = True
        life = self.life
        while True:
            # A change's row is stored by its update's handler: never run ahead of one.
            await workflow.wait_condition(workflow.all_handlers_finished)
            if self._cancel is not None:
                return
            if self._time_to_continue_as_new():
                workflow.continue_as_new(self.order.model_copy(update={"carried": life.carry()}))
            if life.queue:
                await self.apply_next_change(project)
                self._worked = True
            elif life.approval is not None:
                break
            else:
                await self.next_change_or_nudge()
        await self.deliver(project)

    def _time_to_continue_as_new(self) -> bool:
        if not self._worked:
            return False  # a run always gets something done before it hands over
        info = workflow.info()
        if info.is_continue_as_new_suggested() or self._updates >= UPDATES_PER_RUN:
            return True
        limit = self.order.history_limit
        return limit > 0 and info.get_current_history_length() > limit

    async def _wind_down(self, body: asyncio.Task[None]) -> None:
        """Stop all work in flight, reject what was queued, take the preview down, and only
        then say cancelled: nothing happens after that."""
        await self.stop_everything(body)
        await workflow.wait_condition(workflow.all_handlers_finished)
        life = self.life
        if life is not None and life.queue:
            await self._mark_revisions(
                life.queue, RevisionStatus.REJECTED, "the project was cancelled"
            )
            life.queue.clear()
        self.pipeline.working_on = None
        self.pipeline.queued_changes = 0
        assert self.project is not None
        await workflow.execute_activity_method(
            DeployActivities.take_down_preview,
            TakeDownInput(project=self.project),
            # Idempotent, and the last thing a cancelled project needs: never give up on it.
            start_to_close_timeout=policies.QUICK.start_to_close,
            heartbeat_timeout=policies.QUICK.heartbeat,
            retry_policy=policies.QUICK.retry,
            summary="take the preview down",
        )
        await self._finish_cancelled()

    async def _finish_cancelled(self) -> PipelineState:
        self.waiting(None)
        await self._set_status(ProjectStatus.CANCELLED)
        return self.pipeline

    async def _run_before_project_life(self, project: ProjectRef) -> PipelineState:
        """The run as it was before revisions and delivery: kept so that runs started
        then replay exactly (delete once none of them can still be running)."""
        try:
            subdomain, _ = await self.validated_onboarding(project)
            if subdomain is None:
                return await self._finish_cancelled()
            await self._set_status(ProjectStatus.GENERATING)
            first = await self.generate(project, subdomain, None)
            if first is None:
                return await self._finish_cancelled()
            await self._set_status(ProjectStatus.PREVIEW_READY, preview_url=first.url)
            self.waiting("review")
            await workflow.wait_condition(
                lambda: self._cancel is not None and workflow.all_handlers_finished()
            )
            return await self._finish_cancelled()
        except asyncio.CancelledError:
            await asyncio.shield(self._set_status(ProjectStatus.CANCELLED))
            raise
