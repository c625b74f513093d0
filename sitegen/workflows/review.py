"""After the first preview: the client's changes, queued and applied one at a time, in the
order they were accepted; reminders when the preview waits too long for the client."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sitegen.contracts.activities import ProjectRef
    from sitegen.contracts.life import LifeState
    from sitegen.contracts.pipeline import ReviewTimers
    from sitegen.contracts.review import (
        MAX_QUEUED_CHANGES,
        ChangeKind,
        ChangeRefused,
        PendingChange,
    )
    from sitegen.contracts.status import ProjectStatus
    from sitegen.workflows.changes import Changes

WAITING_FOR_REVIEW = "review"
# Reviewable states: the client looks at the preview, or a change of theirs is under way.
OPEN_FOR_CHANGES = (ProjectStatus.PREVIEW_READY, ProjectStatus.IN_REVIEW)


class ReviewLoop(Changes):
    def __init__(self) -> None:
        super().__init__()
        self.timers = ReviewTimers()

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
        # One reminder and one alert per waiting period: the period's start is the key.
        since = life.review_since.isoformat() if life.review_since else ""
        data = {"preview_url": self.pipeline.preview_url, "version": life.live.number}
        if not life.reminded_client:
            life.reminded_client = True
            await self.notice("client", "review_reminder", since, data)
        elif not life.alerted_workspace:
            life.alerted_workspace = True
            await self.notice("workspace", "review_stalled", since, {**data, "since": since})

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
        if self._cancel is not None:
            return  # stopped mid-way (aborted): the wind-down settles what is still queued
        life.queue.pop(0)
        life.changes_done += 1
        life.handled.append(change.change_id)
        self._working = False
        self.pipeline.working_on = None
        self.pipeline.queued_changes = max(len(life.queue) - 1, 0)
        # The client has something new to look at: the review clock starts again.
        life.review_since = workflow.now()
        life.reminded_client = life.alerted_workspace = False

    # --- one revision -------------------------------------------------------------------------
