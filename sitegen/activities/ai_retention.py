"""The retention sweep as an activity: the outbox sender runs it at most hourly, so a deployed
system erases old AI answers without anyone remembering to (sitegen/db/ai_retention.py)."""

from __future__ import annotations

from datetime import timedelta

import structlog
from temporalio import activity

from sitegen.activities.support import Sessions, classify
from sitegen.contracts.retention import SweepInput, SweepOutcome
from sitegen.db.ai_retention import erase_old_responses

log = structlog.get_logger()


class RetentionActivities:
    def __init__(self, sessions: Sessions, ai_response_days: int) -> None:
        self.sessions = sessions
        self.ai_response_age = timedelta(days=ai_response_days)

    @activity.defn
    async def sweep_ai_responses(self, sweep: SweepInput) -> SweepOutcome:
        try:
            erased = await erase_old_responses(
                self.sessions, self.ai_response_age, time_budget_seconds=sweep.time_budget_seconds
            )
        except Exception as exc:  # a database outage is waited out, as for all bookkeeping
            raise classify(exc) from exc
        if erased.rows:
            log.info("retention.ai_responses_erased", rows=erased.rows, done=erased.done)
        return SweepOutcome(ai_responses_erased=erased.rows, done=erased.done)
