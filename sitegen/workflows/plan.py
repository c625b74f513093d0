"""Plan sign-off: when an order asks for it, the run pauses after the brief and sitemap
until the client approves them, changing the plan as often as they like first."""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.ai import AIActivities
    from sitegen.activities.revisions import RevisionActivities
    from sitegen.contracts.activities import AIStepInput
    from sitegen.contracts.pipeline import StepKey
    from sitegen.contracts.review import (
        WAITING_FOR_PLAN,
        ArtifactCounters,
        PlanApproval,
        PlanDecisionAccepted,
        PlanRevisionRequested,
        SiteArtifacts,
    )
    from sitegen.contracts.review_activities import PlanRevisionInput
    from sitegen.contracts.status import ProjectStatus
    from sitegen.workflows import policies
    from sitegen.workflows.steps import StepRunner


class PlanSignOff(StepRunner):
    def __init__(self) -> None:
        super().__init__()
        self.counters = ArtifactCounters()
        self.plan_approval = False
        self._pages: list[str] = []
        self._plan_pending: PlanRevisionRequested | None = None
        self._plan_answer: PlanDecisionAccepted | None = None
        self._plan_approved: PlanApproval | None = None

    # --- the updates' side (called by the workflow's handlers) ------------------------------

    def check_plan_open(self) -> None:
        if self.pipeline.waiting_for != WAITING_FOR_PLAN or self._plan_approved is not None:
            raise ValueError("the plan is not waiting for approval")

    def check_plan_approval(self) -> None:
        self.check_plan_open()
        if self._plan_pending is not None:
            raise ValueError("a change to the plan is being made; approve it once it is done")

    def check_plan_revision(self) -> None:
        self.check_plan_open()
        if self._plan_pending is not None:
            raise ValueError("a change to the plan is already being made; wait for it")

    def approve_plan_now(self, approval: PlanApproval) -> PlanDecisionAccepted:
        self._plan_approved = approval
        return PlanDecisionAccepted(approved=True, plan_version=self.counters.sitemap)

    async def revise_plan_now(self, request: PlanRevisionRequested) -> PlanDecisionAccepted:
        self._plan_answer = None
        self._plan_pending = request
        await workflow.wait_condition(
            lambda: self._plan_answer is not None or self._cancel is not None
        )
        return self._plan_answer or PlanDecisionAccepted(
            approved=False, plan_version=self.counters.sitemap, reason="the project was cancelled"
        )

    # --- the run's side ------------------------------------------------------------------------

    async def plan_sign_off(self, ai: AIStepInput) -> AIStepInput | None:
        """Wait for the client's sign-off, applying plan changes in between. Returns the AI
        input for the approved plan; None when cancelled."""
        assert self.project is not None
        self.waiting(WAITING_FOR_PLAN)
        await self._set_status(ProjectStatus.IN_REVIEW)
        await self.notice("client", "plan_ready", f"v{self.counters.sitemap}", {})
        while True:
            await workflow.wait_condition(
                lambda: (
                    self._plan_pending is not None
                    or self._plan_approved is not None
                    or self._cancel is not None
                )
            )
            if self._cancel is not None:
                return None
            request = self._plan_pending
            if request is None:
                break  # approved (a plan change that came with it was made first)
            self.waiting(None)
            revised = await self._revise_plan(ai, request)
            if revised is None:
                return None
            ai = revised
            self._plan_pending = None
            self.waiting(WAITING_FOR_PLAN)
        self.waiting(None)
        await self._set_status(ProjectStatus.GENERATING)
        return ai

    async def _revise_plan(
        self, ai: AIStepInput, request: PlanRevisionRequested
    ) -> AIStepInput | None:
        assert self.project is not None
        outcome = await self.step(
            StepKey.REVISE_PLAN,
            RevisionActivities.revise_plan,
            PlanRevisionInput(
                project=self.project,
                request=request,
                site=SiteArtifacts(
                    spec_key=ai.spec_key,
                    spec_version=self.counters.spec,
                    sitemap_key=ai.sitemap_key or "",
                    content_key="",
                    layout_key="",
                    pages=self._pages,
                ),
                next_versions=self.counters.following(),
            ),
            policies.AI,
        )
        if outcome is None:
            return None
        if outcome.accepted:
            self.counters.spec = outcome.site.spec_version
            version = max(self.counters.brief, self.counters.sitemap) + 1
            self.counters.brief = self.counters.sitemap = version
            ai = ai.model_copy(update={"spec_key": outcome.site.spec_key, "version": version})
            brief, sitemap = await asyncio.gather(
                self.step(StepKey.GENERATE_BRIEF, AIActivities.generate_brief, ai, policies.AI),
                self.step(StepKey.GENERATE_SITEMAP, AIActivities.generate_sitemap, ai, policies.AI),
            )
            if brief is None or sitemap is None:
                return None
            # Copy and layout that follow are the first of their kind: version 1.
            ai = ai.model_copy(update={"sitemap_key": sitemap.storage_key, "version": 1})
            self._pages = sitemap.items
        self._plan_answer = PlanDecisionAccepted(
            approved=False,
            plan_version=self.counters.sitemap,
            reason=outcome.reason,
            summary=outcome.summary or None,
        )
        return ai
