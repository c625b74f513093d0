"""How the workflow runs one step: the activity, its live state, and what happens when it
fails for good (the project waits for an operator instead of dying)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutType
from temporalio.exceptions import CancelledError as TemporalCancelled
from temporalio.exceptions import TimeoutError as ActivityTimeout
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.notify import NotifyActivities
    from sitegen.activities.project import ProjectActivities
    from sitegen.activities.review import ReviewActivities
    from sitegen.contracts.activities import (
        DEPENDENCY_DOWN,
        AttentionNeeded,
        ProjectRef,
        StatusChange,
        StepMark,
    )
    from sitegen.contracts.operator import (
        SKIPPABLE_STEPS,
        CancelRequest,
        FailureAction,
        OperatorDecision,
    )
    from sitegen.contracts.pipeline import PIPELINE_STEPS, PipelineState, StepKey, StepState
    from sitegen.contracts.review_activities import DecisionRecord, Notice
    from sitegen.contracts.status import ProjectStatus, StepStatus
    from sitegen.workflows import policies

PROJECT_STATUS = SearchAttributeKey.for_keyword("ProjectStatus")
PROJECT_SLUG = SearchAttributeKey.for_keyword("ProjectSlug")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
TEMPLATE = SearchAttributeKey.for_keyword("Template")

T = TypeVar("T")
A = TypeVar("A")

# Waits between runs of a step while the database is down: 5 s, doubling, at most a minute.
OUTAGE_FIRST_WAIT = timedelta(seconds=5)
OUTAGE_BACKOFF_CEILING = timedelta(minutes=1)
# A step whose every attempt was lost with its worker (killed, redeployed) is run again this
# many times before an operator is asked: the step did nothing wrong, but a step that keeps
# taking its worker down with it (a poison pill) must still reach a human.
WORKER_LOSS_RERUNS = 5
# Marks runs that re-run a step after worker losses; older runs asked the operator at once.
RERUN_AFTER_WORKER_LOSS = "rerun-after-worker-loss"


def _innermost(err: BaseException) -> BaseException:
    cause: BaseException = err
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    return cause


def describe_failure(err: BaseException) -> str:
    """The innermost message: what actually went wrong, without Temporal's wrapping."""
    cause = _innermost(err)
    if isinstance(cause, ApplicationError) and cause.type:
        return f"{cause.type}: {cause.message}"[:2000]
    return str(cause)[:2000]


def _dependency_down(err: BaseException) -> bool:
    cause = _innermost(err)
    return isinstance(cause, ApplicationError) and cause.type == DEPENDENCY_DOWN


def _worker_lost(err: BaseException) -> bool:
    """The last attempt ended because its worker stopped heartbeating: the worker died."""
    cause = _innermost(err)
    return isinstance(cause, ActivityTimeout) and cause.type == TimeoutType.HEARTBEAT


def _cancelled(err: ActivityError) -> bool:
    return isinstance(err.cause, TemporalCancelled)


class StepRunner:
    """Mixin for the workflow class: state for the query, plus the failure protocol."""

    def __init__(self) -> None:
        self.pipeline = PipelineState(project_id="00000000-0000-0000-0000-000000000000")
        self.project: ProjectRef | None = None
        self.max_fixes = 3
        # False while replaying a run that started before the project-life behaviours
        # (revisions, delivery, cancellation of work in flight); see site_generation.py.
        self.v2 = False
        self._awaiting: set[StepKey] = set()
        self._decisions: dict[StepKey, OperatorDecision] = {}
        self._failures: dict[str, int] = {}
        self._cancel: CancelRequest | None = None
        self._tasks: list[asyncio.Task[Any]] = []

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

    # --- what the run is doing, in one line, for the Temporal UI --------------------------

    def waiting(self, what: str | None) -> None:
        self.pipeline.waiting_for = what
        self.show_details()

    def show_details(self) -> None:
        p = self.pipeline
        if p.waiting_for:
            text = f"Waiting for {p.waiting_for}"
        else:
            running = [str(s.step) for s in p.steps if s.status == StepStatus.RUNNING]
            text = f"Running {', '.join(running)}" if running else f"Status: {p.status}"
        if p.working_on:
            text += f" ({p.working_on})"
        if p.queued_changes:
            text += f"; {p.queued_changes} change(s) queued"
        workflow.set_current_details(text)

    # --- operator decisions (the workflow's update handler calls these) -------------------

    def check_decision(self, decision: OperatorDecision) -> None:
        if decision.step not in self._awaiting:
            raise ValueError(f"step '{decision.step}' is not waiting for a decision")
        if decision.action == FailureAction.SKIP and decision.step not in self.skippable():
            raise ValueError(f"step '{decision.step}' cannot be skipped: later steps need it")

    def skippable(self) -> frozenset[StepKey]:
        return SKIPPABLE_STEPS

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
        """Run a step alongside others; await the task where its result is needed. The
        task is remembered so a cancellation can stop it and wait for it."""
        task = asyncio.ensure_future(self.step(step, method, arg, policy))
        self._tasks.append(task)
        return task

    async def step(
        self,
        step: StepKey,
        method: Callable[[Any, A], Awaitable[T]],
        arg: A,
        policy: policies.StepPolicy,
        *,
        summary: str | None = None,
        soft_failure: Callable[[T], str | None] | None = None,
    ) -> T | None:
        """The step's result; None when it was skipped or the project was aborted.

        `soft_failure` names results that are failures the caller handles itself (a build
        the fix loop will repair): the step shows as failed with that error, no operator.
        """
        state = self._state(step)
        outages = losses = 0
        while True:
            if self._cancel is not None:
                return None  # cancelled between steps: start nothing new
            state.status = StepStatus.RUNNING
            state.started_at = state.started_at or workflow.now()
            state.attempts += 1
            state.error = None
            self.show_details()
            try:
                result: T = await workflow.execute_activity_method(
                    method,
                    arg,
                    start_to_close_timeout=policy.start_to_close,
                    heartbeat_timeout=policy.heartbeat,
                    retry_policy=policy.retry,
                    # A cancelled project waits until the activity has really stopped, so
                    # no side effect lands after the project reads "cancelled".
                    cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                    summary=summary or str(step),
                )
            except ActivityError as err:
                # Cancelled: stop here. (Runs from before the project-life patch recorded
                # the failure first, then stopped.)
                if self.v2 and (self._cancel is not None or _cancelled(err)):
                    raise asyncio.CancelledError() from err
                if self.v2 and _dependency_down(err):
                    # The database is down, not the step wrong: wait for it, however long,
                    # and run the step again. Nobody needs to decide anything.
                    outages += 1
                    await self._wait_out_outage(step, outages)
                    continue
                if (
                    self.v2
                    and _worker_lost(err)
                    and losses < WORKER_LOSS_RERUNS
                    and workflow.patched(RERUN_AFTER_WORKER_LOSS)
                ):
                    losses += 1  # the workers died, not the step: run it again
                    continue
                error = describe_failure(err)
            else:
                state.finished_at = workflow.now()
                state.output_ref = getattr(result, "storage_key", None)
                problem = soft_failure(result) if soft_failure is not None else None
                state.status = StepStatus.FAILED if problem else StepStatus.SUCCESS
                state.error = problem
                self.show_details()
                return result
            action = await self.ask_operator(step, error)
            if action == FailureAction.RETRY:
                continue
            if action == FailureAction.SKIP:
                state.status = StepStatus.SKIPPED
                await self._mark(step, StepStatus.SKIPPED, None, state.attempts)
                return None
            self._cancel = self._cancel or CancelRequest(reason=f"aborted at {step}")
            return None

    async def _wait_out_outage(self, step: StepKey, outages: int) -> None:
        state = self._state(step)
        state.error = "waiting for the database to come back"
        workflow.set_current_details(f"Waiting for the database to come back ({step})")
        delay = min(OUTAGE_BACKOFF_CEILING, OUTAGE_FIRST_WAIT * 2 ** (outages - 1))
        await workflow.sleep(delay, summary=f"database down: {step} waits")

    async def ask_operator(self, step: StepKey, error: str) -> FailureAction:
        """Record the failure, tell a human, and wait for retry / skip / abort."""
        assert self.project is not None
        state = self._state(step)
        state.status = StepStatus.FAILED
        state.error = error
        state.finished_at = workflow.now()
        await self._mark(step, StepStatus.FAILED, error, state.attempts)
        if self._cancel is not None:
            return FailureAction.ABORT
        resume_status = self.pipeline.status
        resume_waiting = self.pipeline.waiting_for
        self._failures[step] = self._failures.get(step, 0) + 1
        self._awaiting.add(step)
        # Waiting starts now: the query says so before the status and alert go out.
        self.waiting(f"operator decision on {step}")
        await self._set_status(ProjectStatus.NEEDS_ATTENTION)
        await workflow.execute_activity_method(
            NotifyActivities.notify_attention,
            AttentionNeeded(
                project=self.project, step=step, error=error, occurrence=self._failures[step]
            ),
            start_to_close_timeout=policies.QUICK.start_to_close,
            heartbeat_timeout=policies.QUICK.heartbeat,
            retry_policy=policies.QUICK.retry,
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            summary=f"needs attention: {step}",
        )
        await workflow.wait_condition(lambda: step in self._decisions or self._cancel is not None)
        self._awaiting.discard(step)
        self.waiting(resume_waiting)
        decision = self._decisions.pop(step, None)
        if decision is not None and self.v2:
            await self._local(
                ReviewActivities.record_decision,
                DecisionRecord(
                    project_id=self.pipeline.project_id,
                    step=step,
                    action=decision.action.value,
                    decided_by=decision.decided_by,
                    note=decision.note,
                ),
            )
        if decision is None or decision.action == FailureAction.ABORT:
            return FailureAction.ABORT
        await self._set_status(resume_status)
        return decision.action

    async def notice(self, audience: str, kind: str, key: str, data: dict[str, Any]) -> None:
        """Tell the client or the agency about the project's life (one outbox row per key)."""
        assert self.project is not None
        await workflow.execute_activity_method(
            NotifyActivities.notify,
            Notice(
                project=self.project,
                audience=audience,
                kind=kind,
                key=self.project.key("notice", audience, kind, key),
                data=data,
            ),
            start_to_close_timeout=policies.QUICK.start_to_close,
            heartbeat_timeout=policies.QUICK.heartbeat,
            retry_policy=policies.QUICK.retry,
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            summary=f"notify {audience}: {kind}",
        )

    async def _local(self, method: Callable[[Any, A], Awaitable[T]], arg: A) -> T:
        """Bookkeeping against our own database, as a local activity (no extra round trip)."""
        return await workflow.execute_local_activity_method(
            method,
            arg,
            start_to_close_timeout=policies.LOCAL.start_to_close,
            retry_policy=policies.LOCAL.retry,
        )

    async def _mark(
        self, step: StepKey, status: StepStatus, error: str | None, attempts: int
    ) -> None:
        await self._local(
            ProjectActivities.mark_step,
            StepMark(
                project_id=self.pipeline.project_id,
                step=step,
                status=status,
                error=error,
                attempts=attempts,
            ),
        )

    async def _set_status(self, status: ProjectStatus, **fields: Any) -> None:
        """The project's status: in the query state, the search attribute and the database."""
        self.pipeline.status = status
        if "preview_url" in fields:
            self.pipeline.preview_url = fields["preview_url"]
        if "production_url" in fields:
            self.pipeline.production_url = fields["production_url"]
        self.show_details()
        workflow.upsert_search_attributes([PROJECT_STATUS.value_set(status.value)])
        await self._local(
            ProjectActivities.set_status,
            StatusChange(
                project_id=self.pipeline.project_id,
                status=status,
                waiting_for=self.pipeline.waiting_for,
                **fields,
            ),
        )

    async def start_pipeline_rows(self) -> None:
        """Every step's row back to queued, and the project to onboarding, in one call."""
        self.pipeline.status = ProjectStatus.ONBOARDING
        workflow.upsert_search_attributes([PROJECT_STATUS.value_set(ProjectStatus.ONBOARDING)])
        await self._local(
            ProjectActivities.start_pipeline,
            StatusChange(project_id=self.pipeline.project_id, status=ProjectStatus.ONBOARDING),
        )

    async def stop_everything(self, body: asyncio.Task[Any]) -> None:
        """Cancel the run's work (its main task and every step in flight) and wait until
        each activity has really stopped."""
        tasks = [body, *self._tasks]
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
