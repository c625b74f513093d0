"""Rush orders first inside a worker, not only in Temporal's queues.

Task priority hands a rush run's tasks to the worker first, but once there its steps share
the cores with every normal activity already running: under a backlog a rush order took five
times its unloaded time, most of it its own steps running slowly, not waiting. So while a
rush run has an activity in this worker (and for a short linger after, to cover the hand-off
to its next step), normal runs' activities wait before they start. What already runs goes
on; nothing waits longer than `max_wait`, so a stream of rush orders cannot starve the rest.
Local activities (bookkeeping of a few milliseconds) never wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from sitegen.contracts.scheduling import RUSH_PRIORITY_KEY

# A waiting activity reports in this often, well inside any step's heartbeat timeout.
HEARTBEAT_EVERY = 5.0


class RushGate:
    def __init__(
        self,
        linger: float = 2.0,
        max_wait: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.linger = linger
        self.max_wait = max_wait
        self._clock = clock
        self._running = 0
        self._last_end = float("-inf")
        self._changed = asyncio.Event()

    def busy(self) -> bool:
        if self.linger <= 0:
            return False
        return self._running > 0 or self._clock() - self._last_end < self.linger

    @asynccontextmanager
    async def rush(self) -> AsyncIterator[None]:
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1
            self._last_end = self._clock()
            self._changed.set()

    async def wait_turn(self, heartbeat: Callable[[], None] = lambda: None) -> float:
        """Until no rush work is here (or `max_wait` passed); the seconds waited."""
        start = self._clock()
        last_beat = start
        while self.busy() and self._clock() - start < self.max_wait:
            if self._running > 0:
                timeout = HEARTBEAT_EVERY
            else:  # lingering: look again when the linger ends
                timeout = max(0.01, self.linger - (self._clock() - self._last_end))
            remaining = self.max_wait - (self._clock() - start)
            self._changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait(), max(0.0, min(timeout, HEARTBEAT_EVERY, remaining))
                )
            if self._clock() - last_beat >= HEARTBEAT_EVERY:
                heartbeat()
                last_beat = self._clock()
        return self._clock() - start


class _YieldToRush(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, gate: RushGate) -> None:
        super().__init__(next)
        self.gate = gate

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        if info.is_local:
            return await super().execute_activity(input)
        if info.priority.priority_key == RUSH_PRIORITY_KEY:
            async with self.gate.rush():
                return await super().execute_activity(input)
        await self.gate.wait_turn(activity.heartbeat)
        return await super().execute_activity(input)


class RushFirst(Interceptor):
    """Registered on the worker (worker.py) with the worker's one gate."""

    def __init__(self, gate: RushGate) -> None:
        self.gate = gate

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _YieldToRush(next, self.gate)
