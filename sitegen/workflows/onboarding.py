"""The onboarding gate: the form is validated, and when it is not valid the run waits for
the client's correction (signalled by the API, or found in the database if the signal was
lost) before anything is generated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.project import ProjectActivities
    from sitegen.contracts.activities import ProjectRef
    from sitegen.contracts.pipeline import StepKey
    from sitegen.contracts.status import StepStatus
    from sitegen.workflows import policies
    from sitegen.workflows.plan import PlanSignOff

# A lost correction signal is noticed within a minute at first, within an hour at most.
CORRECTION_LOOK_FIRST = timedelta(minutes=1)
CORRECTION_LOOK_CEILING = timedelta(hours=1)


class OnboardingCheck(PlanSignOff):
    def __init__(self) -> None:
        super().__init__()
        self._onboarding_revision = 0
        self.correction_check_after = CORRECTION_LOOK_FIRST

    async def validated_onboarding(self, project: ProjectRef) -> tuple[str | None, str | None]:
        """Validate; if invalid, wait for the client's corrected form. Returns the subdomain
        and the validated snapshot's key, or (None, None) when cancelled."""
        while True:
            outcome = await self.step(
                StepKey.VALIDATE_ONBOARDING,
                ProjectActivities.validate_onboarding,
                project,
                policies.QUICK,
            )
            if outcome is None:
                return None, None
            # A correction may have arrived while this one was being checked (runs from
            # before the project-life patch took the first valid form).
            newest = not self.v2 or outcome.revision >= self._onboarding_revision
            if outcome.valid and newest:
                self.pipeline.validation_errors = []
                return outcome.subdomain, outcome.onboarding_key
            if not outcome.valid:
                self.pipeline.validation_errors = [e.model_dump() for e in outcome.errors]
                self._state(StepKey.VALIDATE_ONBOARDING).status = StepStatus.MANUAL
                self.waiting("onboarding correction")
                await self._wait_for_correction(project, outcome.revision)
                self.waiting(None)
            if self._cancel is not None:
                return None, None

    def _correction_or_cancel(self, seen: int) -> Callable[[], bool]:
        return lambda: self._onboarding_revision > seen or self._cancel is not None

    async def _wait_for_correction(self, project: ProjectRef, seen: int) -> None:
        """Until the client's corrected form arrives. The API signals it; should that signal
        have been lost (Temporal unreachable at the time), the stored form is looked at now
        and then, less often as the wait grows, so a correction is never missed."""
        if not self.v2:
            await workflow.wait_condition(self._correction_or_cancel(seen))
            return
        pause = self.correction_check_after
        while True:
            try:
                await workflow.wait_condition(
                    self._correction_or_cancel(seen),
                    timeout=pause,
                    timeout_summary="look for a corrected form",
                )
                return
            except TimeoutError:
                stored = await self._local(ProjectActivities.onboarding_revision, project)
                if stored > seen:
                    self._onboarding_revision = max(self._onboarding_revision, stored)
                    return
                pause = min(pause * 2, CORRECTION_LOOK_CEILING)
