"""An open-loop HTTP/1.1 load generator, cheap enough to share two cores with what it loads.

Request i is due at `start + i / rate`, whatever became of the earlier ones, and its latency
is counted from that due time (not from when it was written): a server that stalls cannot
hide the queue it caused (coordinated omission). Each due request takes an idle keep-alive
connection, or opens one more up to `max_connections`, or waits for one to come free (that
wait is part of its latency too).

The client is a few dozen lines over asyncio streams rather than httpx: httpx costs several
times the CPU per request, which at hundreds a second would be taken from the server under
test. It speaks just enough HTTP/1.1 for a JSON API: GET, Content-Length or chunked bodies,
keep-alive, `Connection: close`.

`run` is meant for a process of its own (see `in_subprocess`); it returns plain lists, so the
result crosses a multiprocessing pipe cheaply.
"""

from __future__ import annotations

import asyncio
import collections
import multiprocessing
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

TIMEOUT_S = 10.0


@dataclass
class Plan:
    host: str
    port: int
    headers: dict[str, str]
    paths: list[list[str]]  # per route, the paths to pick from at random
    rate: float
    seconds: float
    max_connections: int = 64
    seed: int = 12


@dataclass
class Outcome:
    """One entry per request, in due order; times in seconds."""

    route: list[int] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)  # due → last byte of the response
    service: list[float] = field(default_factory=list)  # written → last byte
    dispatch_late: list[float] = field(default_factory=list)  # due → the generator got to it
    status: list[int] = field(default_factory=list)  # 0: connection error or timeout
    errors: list[str] = field(default_factory=list)  # the first few, for the report
    elapsed_s: float = 0.0  # first due time → last response
    connections: int = 0  # the most open at once
    cpu_s: float = 0.0  # the generator process's own CPU time over the run


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def get(self, head: bytes) -> tuple[int, bool]:
        """Send a GET, read the whole response; its status and whether the connection stays."""
        self.writer.write(head)
        line = await self.reader.readuntil(b"\r\n")
        status = int(line.split(b" ", 2)[1])
        length = -1
        chunked = False
        keep = True
        while True:
            header = await self.reader.readuntil(b"\r\n")
            if header == b"\r\n":
                break
            name, _, value = header.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                keep = b"close" not in value.lower()
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length >= 0:
            await self.reader.readexactly(length)
        else:
            await self.reader.read()  # no length: the body ends with the connection
            keep = False
        return status, keep

    def close(self) -> None:
        self.writer.close()


async def _run(plan: Plan) -> Outcome:
    rng = random.Random(plan.seed)
    total = round(plan.rate * plan.seconds)
    extra = "".join(f"{k}: {v}\r\n" for k, v in plan.headers.items())
    host = f"Host: {plan.host}:{plan.port}\r\n"

    def head(path: str) -> bytes:
        return f"GET {path} HTTP/1.1\r\n{host}{extra}\r\n".encode()

    # Drawn before the clock starts: the schedule costs nothing while it runs.
    routes = [i % len(plan.paths) for i in range(total)]
    heads = [head(rng.choice(plan.paths[r])) for r in routes]
    out = Outcome(
        route=routes,
        latency=[0.0] * total,
        service=[0.0] * total,
        dispatch_late=[0.0] * total,
        status=[0] * total,
    )
    idle: list[_Connection] = []
    waiters: collections.deque[asyncio.Future[_Connection | None]] = collections.deque()
    opened = 0
    clock = time.perf_counter

    async def open_one() -> _Connection:
        try:
            reader, writer = await asyncio.open_connection(plan.host, plan.port)
        except BaseException:  # refused, or timed out meanwhile: the slot is free again
            give_back(None)
            raise
        return _Connection(reader, writer)

    async def connection() -> _Connection:
        nonlocal opened
        if idle:
            return idle.pop()
        if opened < plan.max_connections:
            opened += 1
            out.connections = max(out.connections, opened)
            return await open_one()
        waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
        waiters.append(waiter)
        try:
            handed = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                give_back(waiter.result())  # handed over just as this request timed out
            raise
        # None: a connection was dropped and its slot handed over; open another in it.
        return handed if handed is not None else await open_one()

    def give_back(conn: _Connection | None) -> None:
        """A connection free for the next request; None when one was closed."""
        nonlocal opened
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        if conn is None:
            opened -= 1
        else:
            idle.append(conn)

    async def one(i: int, due: float) -> None:
        conn: _Connection | None = None
        try:
            async with asyncio.timeout(TIMEOUT_S):
                conn = await connection()
                sent = clock()
                status, keep = await conn.get(heads[i])
            done = clock()
            out.status[i] = status
            out.latency[i] = done - due
            out.service[i] = done - sent
            if status >= 300 and len(out.errors) < 5:
                out.errors.append(f"HTTP {status}")
            if not keep:
                conn.close()
                conn = None
            give_back(conn)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, TimeoutError) as exc:
            out.latency[i] = clock() - due
            if len(out.errors) < 5:
                out.errors.append(f"{type(exc).__name__}: {exc}")
            if conn is not None:  # a connection in an unknown state: closed, its slot freed
                conn.close()
                give_back(None)

    cpu_start = time.process_time()
    pending: set[asyncio.Task[None]] = set()
    start = clock() + 0.05
    interval = 1.0 / plan.rate
    i = 0
    while i < total:
        due = start + i * interval
        now = clock()
        if due > now:
            await asyncio.sleep(due - now)
            now = clock()
        # Everything due by now goes out in this turn (after a late wake-up, several).
        while i < total and start + i * interval <= now:
            due = start + i * interval
            out.dispatch_late[i] = now - due
            task = asyncio.create_task(one(i, due))
            pending.add(task)
            task.add_done_callback(pending.discard)
            i += 1
    if pending:
        await asyncio.wait(pending)
    out.elapsed_s = clock() - start
    out.cpu_s = time.process_time() - cpu_start
    for conn in idle:
        conn.close()
    return out


def run(plan: Plan) -> Outcome:
    return asyncio.run(_run(plan))


def _child(plan: Plan, pipe: Any) -> None:
    pipe.send(run(plan))
    pipe.close()
    os._exit(0)


def in_subprocess(plan: Plan) -> Outcome:
    """Run the plan in a fresh process (spawned: nothing of this one's threads or pools)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(plan, theirs), name="load-generator")
    process.start()
    theirs.close()
    outcome: Outcome = ours.recv()
    process.join(timeout=10)
    return outcome
