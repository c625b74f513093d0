"""What must hold after the chaos: every project delivered, every side effect exactly once,
nothing stuck, nothing lost, every history replayable. Each check returns the problems it
found (duplicates and losses counted apart), so the report can show them all at once."""

from __future__ import annotations

import subprocess
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from temporalio.client import Client
from temporalio.worker import Replayer

from sitegen.integrations.git.base import IDEMPOTENCY_TRAILER
from sitegen.settings import Settings
from sitegen.workflows.site_generation import SiteGenerationWorkflow

# Every project: the first preview, two revisions, delivery.
EXPECTED_NOTIFICATIONS = {"preview_ready": 2, "revision_applied": 2, "delivered": 2}
EXPECTED_VERSIONS = [1, 2, 3]
PATCH_COMMITS = 3  # the first content patch and one per revision (no fix rounds expected)
DEPLOYS = 4  # three preview versions and the production deploy


@dataclass
class Findings:
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    histories: int = 0

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.lost or self.other)


def _git_keys(settings: Settings, slug: str, branch: str) -> list[str]:
    out = subprocess.run(
        [
            "git",
            "--git-dir",
            str(settings.repos_root / f"{slug}.git"),
            "log",
            f"--format=%(trailers:key={IDEMPOTENCY_TRAILER},valueonly)",
            branch,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def check_repositories(settings: Settings, projects: list[dict[str, Any]], found: Findings) -> None:
    repos = sorted(p.name for p in settings.repos_root.iterdir() if p.name.endswith(".git"))
    wanted = sorted(f"{p['slug']}.git" for p in projects)
    if repos != wanted:
        found.duplicates.append(f"repositories: {len(repos)} for {len(wanted)} projects")
    for project in projects:
        slug = project["slug"]
        keys = _git_keys(settings, slug, "preview")
        repeated = [k for k, n in Counter(keys).items() if n > 1]
        if repeated:
            found.duplicates.append(f"{slug}: the same commit made twice: {repeated}")
        merges = [k for k in _git_keys(settings, slug, "main") if "/merge_to_main" in k]
        if len(merges) != 1:
            where = found.duplicates if len(merges) > 1 else found.lost
            where.append(f"{slug}: {len(merges)} merges to main")
        patches = [k for k in keys if "/apply_patch/" in k]
        if len(patches) > PATCH_COMMITS:
            found.duplicates.append(f"{slug}: {len(patches)} patch commits")
        elif len(patches) < PATCH_COMMITS:
            found.lost.append(f"{slug}: {len(patches)} patch commits")
        entries = list((settings.sites_root / slug / "deploys").iterdir())
        deploys = [e for e in entries if not e.name.startswith(".")]
        if len(entries) != len(deploys):
            found.other.append(f"{slug}: a half-copied deploy left behind")
        if len(deploys) != DEPLOYS:
            where = found.duplicates if len(deploys) > DEPLOYS else found.lost
            where.append(f"{slug}: {len(deploys)} deploys")


async def check_rows(
    sessions: Any, projects: list[dict[str, Any]], seed: int, found: Findings
) -> None:
    ids = [uuid.UUID(p["id"]) for p in projects]
    async with sessions() as session:

        async def rows(sql: str, **params: Any) -> list[Any]:
            return list((await session.execute(text(sql), {"ids": ids, **params})).all())

        # Every project of this run, including any the report never heard of (an order
        # taken twice would be one).
        (made,) = (
            await rows(
                "SELECT count(*) FROM project p JOIN customer_order o ON o.id = p.order_id "
                "WHERE o.external_ref LIKE :refs",
                refs=f"chaos-{seed}-%",
            )
        )[0]
        if made != len(projects):
            found.duplicates.append(f"{made} projects for {len(projects)} orders")
        # Counted per project from the list of ids, so a project with none at all shows.
        notes = {pid: Counter[str]() for pid in ids}
        for project_id, kind in await rows(
            "SELECT project_id, kind FROM notification WHERE project_id = ANY(:ids)"
        ):
            notes[project_id][kind] += 1
        versions: dict[uuid.UUID, list[int]] = {pid: [] for pid in ids}
        for project_id, number in await rows(
            "SELECT project_id, number FROM site_version WHERE project_id = ANY(:ids) "
            "ORDER BY number"
        ):
            versions[project_id].append(number)
        revisions: dict[uuid.UUID, list[str]] = {pid: [] for pid in ids}
        for project_id, status in await rows(
            "SELECT project_id, status::text FROM revision_request WHERE project_id = ANY(:ids)"
        ):
            revisions[project_id].append(status)
        for pid in ids:
            for kind, count in notes[pid].items():
                expected = EXPECTED_NOTIFICATIONS.get(kind)
                if expected is None:
                    found.other.append(f"{pid}: unexpected notification {kind} x{count}")
                elif count > expected:
                    found.duplicates.append(f"{pid}: {kind} x{count}")
            for kind, expected in EXPECTED_NOTIFICATIONS.items():
                if notes[pid][kind] < expected:
                    found.lost.append(f"{pid}: {kind} x{notes[pid][kind]}")
            if versions[pid] != EXPECTED_VERSIONS:
                found.other.append(f"{pid}: versions {versions[pid]}")
            if sorted(revisions[pid]) != ["applied", "applied"]:
                found.lost.append(f"{pid}: revisions {revisions[pid]}")
        for (stuck,) in await rows(
            "SELECT step_key FROM pipeline_step WHERE project_id = ANY(:ids) AND status = 'running'"
        ):
            found.other.append(f"a pipeline_step still running: {stuck}")
        for project_id, status in await rows(
            "SELECT id, status FROM project WHERE id = ANY(:ids) AND status != 'delivered'"
        ):
            found.lost.append(f"{project_id}: {status}, not delivered")


async def check_histories(client: Client, projects: list[dict[str, Any]], found: Findings) -> None:
    """Every run of every project (continue-as-new makes several) replays on today's code."""
    replayer = Replayer(workflows=[SiteGenerationWorkflow], data_converter=client.data_converter)
    for project in projects:
        query = f"WorkflowId = '{project['workflow_id']}'"
        async for run in client.list_workflows(query):
            handle = client.get_workflow_handle(run.id, run_id=run.run_id)
            history = await handle.fetch_history()
            result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
            found.histories += 1
            if result.replay_failure is not None:
                found.other.append(f"{run.id}/{run.run_id}: replay failed")
