"""The chaos scenario: orders pushed through their whole life (preview, two revisions,
approval, delivery) while faults are injected, all from one seed so a failing run can be
reproduced exactly."""

from __future__ import annotations

import asyncio
import copy
import json
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from sitegen.failpoints import POINTS
from sitegen.settings import REPO_ROOT
from tests.chaos.cluster import Cluster

EXAMPLES = sorted((REPO_ROOT / "examples" / "onboarding").glob("*.json"))
POSTGRES_OUTAGE_SECONDS = 30
# However the faults fall, a call through them gets an answer within this, and the whole
# run ends within RUN_SECONDS: a stuck run fails instead of hanging CI.
CALL_SECONDS = 300
RUN_SECONDS = 1200
RANDOM_WORKER_KILLS = 2
REVISIONS = (
    'Change the headline on the home page to "Chaos proof, order {n}"',
    "Change the primary colour to #{colour:06x}",
)


class Unexpected(AssertionError):
    """The API answered something no fault explains (a 4xx, a 500)."""


@dataclass
class Report:
    seed: int
    orders: int
    faults: Counter[str] = field(default_factory=Counter)
    timeline: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    projects: list[dict[str, Any]] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.timeline.append(f"{time.monotonic() - self.started:7.1f}s {what}")


class Chaos:
    def __init__(self, cluster: Cluster, api: httpx.AsyncClient, seed: int, orders: int) -> None:
        self.cluster = cluster
        self.api = api
        self.rng = random.Random(seed)
        self.report = Report(seed=seed, orders=orders)
        self.previews = 0
        self.done = asyncio.Event()
        self.progress = asyncio.Condition()
        # Kills at the moments a retry must find its own earlier work, in POINTS' order (the
        # merge comes last, as the first approvals arrive).
        self.pending_failpoints = list(POINTS)
        self.armed = ""
        self._killing = False

    # --- talking to the API through the faults --------------------------------------------

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The request, repeated through 503s and dropped connections (the same body, so a
        retry is the same request); anything else unexpected fails the run."""
        deadline = time.monotonic() + CALL_SECONDS
        while time.monotonic() < deadline:
            try:
                response = await self.api.request(method, f"/api/v1{path}", **kwargs)
            except httpx.TransportError:
                await asyncio.sleep(0.5)
                continue
            if response.status_code == 503:
                await asyncio.sleep(0.5)
                continue
            if response.status_code == 409 and "already received" in response.text:
                return None  # a retried revision the run had already taken
            if response.status_code >= 400:
                raise Unexpected(f"{method} {path} → {response.status_code}: {response.text}")
            return response.json()
        raise Unexpected(f"{method} {path}: no answer through {CALL_SECONDS} s of faults")

    async def until(self, project_id: str, reached: Any, seconds: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            project = await self.call("GET", f"/projects/{project_id}")
            revisions = await self.call("GET", f"/projects/{project_id}/revisions")
            if project["status"] in ("cancelled", "needs_attention"):
                steps = await self.call("GET", f"/projects/{project_id}/pipeline")
                failed = [
                    f"{s['step_key']}: {s['error_message']}"
                    for s in steps
                    if s["status"] not in ("success", "queued", "skipped")
                ]
                raise Unexpected(f"project {project['slug']} is {project['status']}: {failed}")
            if reached(project, revisions):
                return dict(project)
            await asyncio.sleep(1)
        raise Unexpected(f"project {project_id} did not get there in {seconds:.0f} s")

    # --- one project's life ---------------------------------------------------------------

    def order(self, n: int) -> dict[str, Any]:
        form = json.loads(EXAMPLES[n % len(EXAMPLES)].read_text())
        form = copy.deepcopy(form)
        form["subdomain"] = f"chaos{n}-s{self.report.seed % 100000}"
        form["assets"] = [
            {"kind": "logo", "url": f"{self.cluster.assets.url}/logo-{n}.png", "alt": "Logo"}
        ]
        return {
            "customer": {"name": form["business"]["name"], "email": f"chaos{n}@example.com"},
            "order": {"reference": f"chaos-{self.report.seed}-{n}"},
            "template_id": "landing",
            "name": f"{form['business']['name']} {n}",
            "onboarding": form,
            "start_generation": True,
        }

    async def life(self, n: int) -> None:
        order = self.order(n)
        created = await self.call("POST", "/projects", json=order)
        pid = created["id"]
        # The same order again (a payment webhook delivered twice): the same project and run.
        again = await self.call("POST", "/projects", json=order)
        if (again["id"], again["run_id"]) != (pid, created["run_id"]):
            raise Unexpected(f"order {n} sent twice made {again['id']} beside {pid}")
        self.report.faults["order sent twice"] += 1
        await self.until(pid, lambda p, _: p["status"] == "preview_ready")
        async with self.progress:
            self.previews += 1
            self.progress.notify_all()
        colour = self.rng.randrange(0x100000, 0xFFFFFF)
        for k, template in enumerate(REVISIONS):
            message = template.format(n=n, colour=colour)
            await self.call(
                "POST",
                f"/projects/{pid}/revisions",
                json={"message": message},
                headers={"Idempotency-Key": f"chaos-{n}-{k}"},
            )
            done = k + 1
            await self.until(
                pid,
                lambda p, r, done=done: (
                    p["status"] == "preview_ready"
                    and sum(x["status"] == "applied" for x in r) == done
                ),
            )
        await self.call("POST", f"/projects/{pid}/approve", json={"approved_by": "chaos"})
        await self.until(pid, lambda p, _: p["status"] == "delivered")
        self.report.projects.append(created)

    # --- the faults -------------------------------------------------------------------------

    def start_worker(self) -> None:
        self.armed = self.pending_failpoints[0] if self.pending_failpoints else ""
        self.cluster.worker.start(SITEGEN_FAILPOINT=self.armed)

    async def watch_worker(self) -> None:
        """A new worker takes over whenever one dies, armed with the next failpoint. Only
        a SIGKILL counts as a fault: a worker that exits by itself (it found no Temporal
        while the server was down) is simply started again, still armed."""
        worker = self.cluster.worker
        self.start_worker()
        while not self.done.is_set():
            if not worker.alive():
                assert worker.proc is not None
                code = worker.proc.returncode
                if self._killing:
                    self.report.faults["worker SIGKILL at a random moment"] += 1
                elif code == -signal.SIGKILL and self.armed:
                    self.report.faults[f"worker killed {self.armed.replace('_', ' ')}"] += 1
                    self.pending_failpoints.pop(0)
                self.report.note(f"worker ended ({code}, armed: {self.armed or '-'}); new one")
                self._killing = False
                self.start_worker()
            await asyncio.sleep(0.1)

    async def random_kills(self) -> None:
        for _ in range(RANDOM_WORKER_KILLS):
            await asyncio.sleep(self.rng.uniform(3, 25))
            if self.done.is_set():
                return
            self._killing = True
            await asyncio.to_thread(self.cluster.worker.kill)

    async def flaky_assets(self) -> None:
        """The asset host fails the first downloads (500, then 429), however the orders'
        timing falls: it turns healthy only once it has refused some."""
        assets = self.cluster.assets
        assets.mode = "500"
        self.report.note("asset host answers 500")
        await self._until_refused(5, self.rng.uniform(3, 6))
        assets.mode = "429"
        self.report.note("asset host answers 429")
        await self._until_refused(8, self.rng.uniform(2, 4))
        assets.mode = "ok"
        self.report.faults["asset host 500/429 answers"] = assets.errors_served

    async def _until_refused(self, errors: int, at_least: float) -> None:
        await asyncio.sleep(at_least)
        deadline = time.monotonic() + 120
        while self.cluster.assets.errors_served < errors and time.monotonic() < deadline:  # noqa: ASYNC110 (a counter in another thread)
            await asyncio.sleep(0.2)

    async def previews_reached(self, share: float) -> None:
        wanted = max(1, int(self.report.orders * share))
        async with self.progress:
            await self.progress.wait_for(lambda: self.previews >= wanted)

    async def postgres_outage(self) -> None:
        await self.previews_reached(0.25)  # mid-run: some previews live, others generating
        await asyncio.sleep(self.rng.uniform(0, 3))
        self.report.note(f"Postgres stopped for {POSTGRES_OUTAGE_SECONDS} s")
        await asyncio.to_thread(self.cluster.postgres.stop)
        await asyncio.sleep(POSTGRES_OUTAGE_SECONDS)
        await asyncio.to_thread(self.cluster.postgres.start)
        self.report.note("Postgres back")
        self.report.faults[f"Postgres down {POSTGRES_OUTAGE_SECONDS} s"] += 1

    async def temporal_restart(self) -> None:
        await self.previews_reached(0.5)
        await asyncio.sleep(self.rng.uniform(0, 3))
        self.report.note("Temporal server killed")
        await asyncio.to_thread(self.cluster.kill_temporal)
        await asyncio.sleep(self.rng.uniform(1, 3))
        await asyncio.to_thread(self.cluster.temporal.start)
        self.report.note("Temporal server back")
        self.report.faults["Temporal server killed and restarted"] += 1

    async def run(self) -> Report:
        faults = [
            asyncio.create_task(self.watch_worker()),
            asyncio.create_task(self.random_kills()),
            asyncio.create_task(self.flaky_assets()),
            asyncio.create_task(self.postgres_outage()),
            asyncio.create_task(self.temporal_restart()),
        ]
        lives = [asyncio.create_task(self.life(n)) for n in range(self.report.orders)]
        try:
            # Every life must end well, and a fault that cannot be injected (or undone) ends
            # the run at once rather than leaving the lives to time out.
            pending = set(lives) | set(faults)
            async with asyncio.timeout(RUN_SECONDS):
                while any(not task.done() for task in lives):
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        error = None if task.cancelled() else task.exception()
                        if error is not None:
                            raise error
        finally:
            for task in lives:
                task.cancel()  # one life failed: the others stop too, the run is over
            await asyncio.gather(*lives, return_exceptions=True)
            self.done.set()
            for task in faults[1:]:
                task.cancel()
            await asyncio.gather(*faults, return_exceptions=True)
        return self.report
