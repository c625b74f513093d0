"""The workflow scenario 4 times: a chain of activities that do nothing, one after another,
so a run's length divided by the chain's length is what orchestration costs per activity.

Its own module with nothing but temporalio imported, as the workflow sandbox re-imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow


@dataclass
class Chain:
    length: int
    local: bool  # local activities (run inside the workflow task's worker) or regular ones


@activity.defn
async def nothing(n: int) -> int:
    return n


@workflow.defn
class ChainWorkflow:
    @workflow.run
    async def run(self, chain: Chain) -> int:
        total = 0
        for n in range(chain.length):
            if chain.local:
                total += await workflow.execute_local_activity(
                    nothing, n, start_to_close_timeout=timedelta(seconds=10)
                )
            else:
                total += await workflow.execute_activity(
                    nothing, n, start_to_close_timeout=timedelta(seconds=10)
                )
        return total
