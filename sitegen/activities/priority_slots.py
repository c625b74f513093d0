"""A worker's own limit on heavy work (at most n builds at once) that serves a rush run's
step first: Temporal hands the worker a rush order's task before a normal one's, and this
keeps that order among tasks already waiting inside the worker for a slot."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity

# Temporal's key when a run sets none: between a rush order's 1 and the least urgent 5.
DEFAULT_KEY = 3


class PrioritySlots:
    """At most `size` holders at once; waiters are served by priority key (lower first),
    then in the order they came."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._free = size
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(not future.done() for _, _, future in self._waiting)

    @asynccontextmanager
    async def held(self, priority_key: int | None = None) -> AsyncIterator[None]:
        await self._acquire(priority_key or DEFAULT_KEY)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, key: int) -> None:
        if self._free > 0 and self.waiting == 0:
            self._free -= 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (key, next(self._arrivals), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # handed a slot just as it was cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiting:
            _, _, granted = heapq.heappop(self._waiting)
            if not granted.done():  # a cancelled waiter is skipped
                granted.set_result(None)
                return
        self._free += 1


def run_priority_key() -> int | None:
    """The priority key of the run the current activity belongs to (None: unset, or not
    called as an activity)."""
    if not activity.in_activity():
        return None
    return activity.info().priority.priority_key
