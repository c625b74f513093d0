"""The worker's rush gate: a normal run's activity waits to start while a rush run's is
running (and for the linger after), never longer than its bound, and reports in meanwhile."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from temporalio.common import Priority
from temporalio.testing import ActivityEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput

from sitegen.activities import rush_gate
from sitegen.activities.rush_gate import RushFirst, RushGate


async def test_normal_work_waits_for_rush_work_and_its_linger() -> None:
    gate = RushGate(linger=0.3, max_wait=5)
    order: list[str] = []

    async def rush() -> None:
        async with gate.rush():
            await asyncio.sleep(0.3)
            order.append("rush done")

    async def normal() -> None:
        await asyncio.sleep(0.05)  # arrives while the rush step runs
        waited = await gate.wait_turn()
        order.append("normal starts")
        assert waited >= 0.5  # the rest of the rush step, then the linger

    await asyncio.gather(rush(), normal())
    assert order == ["rush done", "normal starts"]
    assert not gate.busy()
    assert await gate.wait_turn() == pytest.approx(0, abs=0.05)  # idle: no wait at all


async def test_a_stream_of_rush_work_never_starves_normal_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rush_gate, "HEARTBEAT_EVERY", 0.1)
    gate = RushGate(linger=0.2, max_wait=0.6)
    beats: list[int] = []
    stop = asyncio.Event()

    async def rushes() -> None:
        while not stop.is_set():
            async with gate.rush():
                await asyncio.sleep(0.05)

    stream = asyncio.create_task(rushes())
    await asyncio.sleep(0.01)
    waited = await gate.wait_turn(lambda: beats.append(1))
    stop.set()
    await stream
    assert 0.6 <= waited < 1.0
    assert len(beats) >= 3  # a waiting step keeps its heartbeat going


async def test_linger_zero_turns_the_gate_off() -> None:
    gate = RushGate(linger=0)
    async with gate.rush():
        assert not gate.busy()
        assert await gate.wait_turn() < 0.05


class _Recorder(ActivityInboundInterceptor):
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        self.log.append(f"{self.name} starts")
        await asyncio.sleep(0.2)
        self.log.append(f"{self.name} ends")
        return self.name


def _env(priority_key: int | None, local: bool = False) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, priority=Priority(priority_key=priority_key), is_local=local
    )
    return env


async def test_the_interceptor_lets_rush_steps_run_first_and_local_ones_through() -> None:
    gate = RushGate(linger=0.1)
    log: list[str] = []
    first = RushFirst(gate)
    rush = first.intercept_activity(_Recorder(log, "rush"))
    normal = first.intercept_activity(_Recorder(log, "normal"))
    local = first.intercept_activity(_Recorder(log, "local"))
    unused: Any = None
    step = ExecuteActivityInput(fn=unused, args=[], executor=None, headers={})

    async def later(env: ActivityEnvironment, interceptor: ActivityInboundInterceptor) -> Any:
        await asyncio.sleep(0.05)
        return await env.run(interceptor.execute_activity, step)

    results = await asyncio.gather(
        _env(1).run(rush.execute_activity, step),
        later(_env(None), normal),
        later(_env(None, local=True), local),
    )
    assert results == ["rush", "normal", "local"]
    # The local step ran beside the rush one; the normal one only after it (and its linger).
    assert log.index("local starts") < log.index("rush ends") < log.index("normal starts")
