"""CleanupWorkflow: one run of the periodic cleanup, started by its Temporal Schedule.

It records the run, runs each rule that is on (an activity per rule, a few retries each), and
records what each removed or why it failed: one rule failing never stops the others, and the
run itself ends well, so the schedule goes on. Rules find what is due afresh, so a second run
removes nothing the first already did.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from sitegen.activities.cleanup import CleanupActivities
    from sitegen.contracts.cleanup import (
        CLEANUP_WORKFLOW_NAME,
        CleanupInput,
        CleanupReport,
        CleanupRule,
        FinishRunInput,
        RuleInput,
        StartRunInput,
    )
    from sitegen.workflows import policies

RULE_TIMEOUT = timedelta(minutes=10)
RULE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=3,
    non_retryable_error_types=policies.NON_RETRYABLE,
)
_RULES = {
    CleanupRule.CANCELLED_PREVIEWS: CleanupActivities.remove_cancelled_previews,
    CleanupRule.BUILD_DIRS: CleanupActivities.remove_old_build_dirs,
    CleanupRule.ABANDONED_CONVERSATIONS: CleanupActivities.remove_abandoned_conversations,
}


def _reason(error: ActivityError) -> str:
    cause = error.cause
    return (str(cause) if cause is not None else str(error))[:500] or type(error).__name__


@workflow.defn(name=CLEANUP_WORKFLOW_NAME)
class CleanupWorkflow:
    @workflow.run
    async def run(self, config: CleanupInput) -> CleanupReport:
        run_key = workflow.info().workflow_id
        rules = {rule.value: days for rule, days in config.rules().items()}
        await workflow.execute_activity_method(
            CleanupActivities.start_cleanup_run,
            StartRunInput(run_key=run_key, rules=rules),
            start_to_close_timeout=policies.QUICK.start_to_close,
            retry_policy=policies.QUICK.retry,
        )
        report = CleanupReport(run_key=run_key)
        for rule, days in config.rules().items():
            if days <= 0:
                continue  # off
            try:
                outcome = await workflow.execute_activity_method(
                    _RULES[rule],
                    RuleInput(older_than_days=days),
                    start_to_close_timeout=RULE_TIMEOUT,
                    retry_policy=RULE_RETRY,
                    summary=f"cleanup: {rule.value} older than {days} days",
                )
            except ActivityError as exc:
                report.errors[rule.value] = _reason(exc)
                continue
            report.counts[rule.value] = outcome.removed
        await workflow.execute_activity_method(
            CleanupActivities.finish_cleanup_run,
            FinishRunInput(run_key=run_key, counts=report.counts, errors=report.errors),
            start_to_close_timeout=policies.QUICK.start_to_close,
            retry_policy=policies.QUICK.retry,
        )
        return report
