"""The worker's priority-aware slots: never more holders than slots, the most urgent waiter
first (then first come), and a cancelled waiter neither blocks nor leaks a slot."""

from __future__ import annotations

import asyncio

import pytest

from sitegen.activities.priority_slots import PrioritySlots


async def test_waiters_are_served_by_priority_then_arrival() -> None:
    slots = PrioritySlots(1)
    order: list[str] = []
    release = asyncio.Event()

    async def hold(name: str, key: int | None) -> None:
        async with slots.held(key):
            order.append(name)
            if name == "first":
                await release.wait()

    first = asyncio.create_task(hold("first", None))
    await asyncio.sleep(0)
    waiters = [
        asyncio.create_task(hold(name, key))
        for name, key in (("normal-a", None), ("normal-b", 3), ("rush", 1), ("low", 5))
    ]
    await asyncio.sleep(0)
    assert slots.waiting == 4
    release.set()
    await asyncio.gather(first, *waiters)
    assert order == ["first", "rush", "normal-a", "normal-b", "low"]


async def test_never_more_holders_than_slots() -> None:
    slots = PrioritySlots(2)
    holding = peak = 0

    async def work(key: int) -> None:
        nonlocal holding, peak
        async with slots.held(key):
            holding += 1
            peak = max(peak, holding)
            await asyncio.sleep(0.001)
            holding -= 1

    await asyncio.gather(*(work(1 + n % 5) for n in range(40)))
    assert (peak, holding, slots.waiting) == (2, 0, 0)


async def test_a_cancelled_waiter_leaves_no_trace() -> None:
    slots = PrioritySlots(1)
    release = asyncio.Event()

    async def blocker() -> None:
        async with slots.held():
            await release.wait()

    held = asyncio.create_task(blocker())
    await asyncio.sleep(0)
    gone = asyncio.create_task(slots.held(1).__aenter__())
    await asyncio.sleep(0)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    release.set()
    await held
    async with slots.held():  # the slot came back
        assert slots.waiting == 0


def test_at_least_one_slot() -> None:
    with pytest.raises(ValueError):
        PrioritySlots(0)
