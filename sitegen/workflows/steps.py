"""How the workflow runs one step: the activity, its live state, and what happens when it
fails for good (the project waits for an operator instead of dying)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.notify import NotifyActivities
    from sitegen.activities.project import ProjectActivities
    from sitegen.contracts.activities import AttentionNeeded, ProjectRef, StatusChange, StepMark
    from sitegen.contracts.operator import (
        SKIPPABLE_STEPS,
        CancelRequest,
        FailureAction,
        OperatorDecision,
    )
    from sitegen.contracts.pipeline import PIPELINE_STEPS, PipelineState, StepKey, StepState
    from sitegen.contracts.status import ProjectStatus, StepStatus
    from sitegen.workflows import policies

PROJECT_STATUS = SearchAttributeKey.for_keyword("ProjectStatus")
PROJECT_SLUG = SearchAttributeKey.for_keyword("ProjectSlug")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")

T = TypeVar("T")
A = TypeVar("A")


def describe_failure(err: BaseException) -> str:
    """The innermost message: what actually went wrong, without Temporal's wrapping."""
    cause: BaseException | None = err
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, ApplicationError) and cause.type:
        return f"{cause.type}: {cause.message}"[:2000]
    return str(cause)[:2000]


class StepRunner:
    """Mixin for the workflow class: state for the query, plus the failure protocol."""

    def __init__(self) -> None:
        self.pipeline = PipelineState(project_id="00000000-0000-0000-0000-000000000000")
        self.project: ProjectRef | None = None
        self.max_fixes = 3
        self._awaiting: set[StepKey] = set()
        self._decisions: dict[StepKey, OperatorDecision] = {}
        self._failures: dict[StepKey, int] = {}
        self._cancel: CancelRequest | None = None

    def begin(self, project: ProjectRef, max_fixes: int) -> None:
        self.project = project
        self.max_fixes = max_fixes
        self.pipeline = PipelineState(
            project_id=project.project_id, steps=[StepState(step=s) for s in PIPELINE_STEPS]
        )

    def _state(self, step: StepKey) -> StepState:
        for state in self.pipeline.steps:
            if state.step == step:
                return state
        state = StepState(step=step)
        self.pipeline.steps.append(state)
        return state

    # --- operator decisions (the workflow's update handler calls these) -------------------

    def check_decision(self, decision: OperatorDecision) -> None:
        if decision.step not in self._awaiting:
            raise ValueError(f"step '{decision.step}' is not waiting for a decision")
        if decision.action == FailureAction.SKIP and decision.step not in SKIPPABLE_STEPS:
            raise ValueError(f"step '{decision.step}' cannot be skipped: later steps need it")

    def decide(self, decision: OperatorDecision) -> None:
        self._decisions[decision.step] = decision

    # --- running steps --------------------------------------------------------------------

    def start(
        self,
        step: StepKey,
        method: Callable[[Any, A], Awaitable[T]],
        arg: A,
        policy: policies.StepPolicy,
    ) -> asyncio.Task[T | None]:
        """Run a step alongside others; await the task where its result is needed."""
        return asyncio.ensure_future(self.step(step, method, arg, policy))

    async def step(
        self,
        step: StepKey,
        method: Callable[[Any, A], Awaitable[T]],
        arg: A,
        policy: policies.StepPolicy,
        fail_when: Callable[[T], bool] | None = None,
    ) -> T | None:
        """The step's result; None when it was skipped or the project was aborted."""
        state = self._state(step)
        while True:
            if self._cancel is not None:
                return None  # cancelled between steps: start nothing new
            state.status = StepStatus.RUNNING
            state.started_at = state.started_at or workflow.now()
            state.attempts += 1
            state.error = None
            try:
                result: T = await workflow.execute_activity_method(
                    method,
                    arg,
                    start_to_close_timeout=policy.start_to_close,
                    heartbeat_timeout=policy.heartbeat,
                    retry_policy=policy.retry,
                )
            except ActivityError as err:
                error = describe_failure(err)
            else:
                if fail_when is None or not fail_when(result):
                    state.status = StepStatus.SUCCESS
                    state.finished_at = workflow.now()
                    state.output_ref = getattr(result, "storage_key", None)
                    return result
                error = f"build failed after {self.max_fixes} automatic fix attempts"
            action = await self._after_failure(step, state, error)
            if action == FailureAction.RETRY:
                continue
            if action == FailureAction.SKIP:
                state.status = StepStatus.SKIPPED
                await self._mark(step, StepStatus.SKIPPED, None, state.attempts)
                return None
            self._cancel = self._cancel or CancelRequest(reason=f"aborted at {step}")
            return None

    async def _after_failure(self, step: StepKey, state: StepState, error: str) -> FailureAction:
        """Record the failure, tell a human, and wait for retry / skip / abort."""
        assert self.project is not None
        state.status = StepStatus.FAILED
        state.error = error
        state.finished_at = workflow.now()
        await self._mark(step, StepStatus.FAILED, error, state.attempts)
        if self._cancel is not None:
            return FailureAction.ABORT
        resume_status = self.pipeline.status
        self._failures[step] = self._failures.get(step, 0) + 1
        self._awaiting.add(step)
        # Waiting starts now: the query says so before the status and alert go out.
        self.pipeline.waiting_for = f"operator decision on {step}"
        await self._set_status(ProjectStatus.NEEDS_ATTENTION)
        await workflow.execute_activity_method(
            NotifyActivities.notify_attention,
            AttentionNeeded(
                project=self.project, step=step, error=error, occurrence=self._failures[step]
            ),
            start_to_close_timeout=policies.QUICK.start_to_close,
            heartbeat_timeout=policies.QUICK.heartbeat,
            retry_policy=policies.QUICK.retry,
        )
        await workflow.wait_condition(lambda: step in self._decisions or self._cancel is not None)
        self._awaiting.discard(step)
        self.pipeline.waiting_for = None
        decision = self._decisions.pop(step, None)
        if decision is None or decision.action == FailureAction.ABORT:
            return FailureAction.ABORT
        await self._set_status(resume_status)
        return decision.action

    async def _mark(
        self, step: StepKey, status: StepStatus, error: str | None, attempts: int
    ) -> None:
        await workflow.execute_local_activity_method(
            ProjectActivities.mark_step,
            StepMark(
                project_id=self.pipeline.project_id,
                step=step,
                status=status,
                error=error,
                attempts=attempts,
            ),
            start_to_close_timeout=policies.LOCAL.start_to_close,
            retry_policy=policies.LOCAL.retry,
        )

    async def _set_status(self, status: ProjectStatus, **fields: Any) -> None:
        """The project's status: in the query state, the search attribute and the database."""
        self.pipeline.status = status
        if "preview_url" in fields:
            self.pipeline.preview_url = fields["preview_url"]
        workflow.upsert_search_attributes([PROJECT_STATUS.value_set(status.value)])
        await workflow.execute_local_activity_method(
            ProjectActivities.set_status,
            StatusChange(project_id=self.pipeline.project_id, status=status, **fields),
            start_to_close_timeout=policies.LOCAL.start_to_close,
            retry_policy=policies.LOCAL.retry,
        )

    async def start_pipeline_rows(self) -> None:
        """Every step's row back to queued, and the project to onboarding, in one call."""
        self.pipeline.status = ProjectStatus.ONBOARDING
        workflow.upsert_search_attributes([PROJECT_STATUS.value_set(ProjectStatus.ONBOARDING)])
        await workflow.execute_local_activity_method(
            ProjectActivities.start_pipeline,
            StatusChange(project_id=self.pipeline.project_id, status=ProjectStatus.ONBOARDING),
            start_to_close_timeout=policies.LOCAL.start_to_close,
            retry_policy=policies.LOCAL.retry,
        )
