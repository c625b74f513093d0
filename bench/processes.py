"""Peak memory and CPU time of the stack's processes while a scenario runs.

A thread samples every few hundred milliseconds. Each named process is counted on its own
(the worker's Python process, the API's) and, where it has children, with its whole tree:
Postgres is a postmaster and one backend per connection; the worker's children are the
sandboxed builds and browsers. CPU seconds are what the tree spent between `start` and
`stop` (children that ended in between included, as far as the kernel reports them).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from sitegen.stack.supervisor import Stack

MB = 1024 * 1024


@dataclass
class _Watched:
    process: psutil.Process
    cpu_at_start: float
    peak_rss: int = 0  # the process alone
    peak_tree_rss: int = 0  # with its children at that moment
    seen_children: dict[int, float] = field(default_factory=dict)  # pid → last CPU seconds


def _postmaster(pgdata: Path) -> int | None:
    """The postmaster's pid, from the first line of its lock file."""
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system + times.children_user + times.children_system)


class ProcessSampler:
    def __init__(self, pids: dict[str, int], interval: float = 0.25) -> None:
        self.interval = interval
        self.watched: dict[str, _Watched] = {}
        for name, pid in pids.items():
            try:
                process = psutil.Process(pid)
                self.watched[name] = _Watched(process, _cpu(process))
            except psutil.Error:
                continue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @classmethod
    def for_stack(cls, stack: Stack) -> ProcessSampler:
        pids: dict[str, int] = {}
        for name, child in stack.services.items():
            if child.pid is not None and name != "preview-host":
                pids[name] = child.pid
        temporal = stack.temporal.child if stack.temporal is not None else None
        if temporal is not None and temporal.pid is not None:
            pids["temporal"] = temporal.pid
        if stack.postgres is not None:
            postmaster = _postmaster(stack.postgres.pgdata)
            if postmaster is not None:
                pids["postgres"] = postmaster
        return cls(pids)

    def __enter__(self) -> ProcessSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)
        self.sample()

    def sample(self) -> None:
        for watched in self.watched.values():
            try:
                own = watched.process.memory_info().rss
                tree = own
                for child in watched.process.children(recursive=True):
                    try:
                        tree += child.memory_info().rss
                        watched.seen_children[child.pid] = float(sum(child.cpu_times()[:2]))
                    except psutil.Error:
                        continue
            except psutil.Error:
                continue
            watched.peak_rss = max(watched.peak_rss, own)
            watched.peak_tree_rss = max(watched.peak_tree_rss, tree)

    def summary(self) -> dict[str, Any]:
        """Per process: peak RSS alone and with its children (MB), CPU seconds spent."""
        out: dict[str, Any] = {}
        for name, watched in self.watched.items():
            try:
                spent = _cpu(watched.process) - watched.cpu_at_start
            except psutil.Error:
                spent = 0.0
            # Children not yet reaped are not in children_user: add what was seen of them.
            live = 0.0
            try:
                live_pids = {c.pid for c in watched.process.children(recursive=True)}
                live = sum(t for pid, t in watched.seen_children.items() if pid in live_pids)
            except psutil.Error:
                pass
            out[name] = {
                "peak_rss_mb": round(watched.peak_rss / MB, 1),
                "peak_tree_rss_mb": round(watched.peak_tree_rss / MB, 1),
                "cpu_s": round(spent + live, 2),
            }
        return out
