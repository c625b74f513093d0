"""The periodic cleanup on the real dev server and Postgres: each rule removes exactly what
it says and nothing else, the run is recorded (and listed to operators), a second run removes
nothing more, a failing rule is recorded without stopping the others, and the schedule is
made, updated and removed idempotently."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import col, select, update
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError
from temporalio.worker import Replayer, Worker

from sitegen.activities.cleanup import CleanupActivities
from sitegen.cleanup_schedule import ensure_cleanup_schedule
from sitegen.contracts.cleanup import CleanupInput, CleanupReport
from sitegen.contracts.status import ProjectStatus
from sitegen.db.tables import CleanupRun, Conversation, ConversationMessage, Project
from sitegen.integrations.hosting.local import LocalHosting
from sitegen.settings import Settings
from sitegen.temporal_client import data_converter
from sitegen.workflows.cleanup import CleanupWorkflow
from tests.activities.test_cleanup_rules import _entry
from tests.api.support import create
from tests.conftest import wait_for
from tests.pipeline.helpers import HISTORIES, keep_history

CLEANUP_HISTORIES = sorted((HISTORIES / "cleanup").glob("*.json"))
RULES = CleanupInput(cancelled_preview_days=30, build_dir_days=7, conversation_days=30)


def _ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def _project(
    api: httpx.AsyncClient, sessions: Any, status: str, days: float
) -> tuple[str, str]:
    """A project last changed `days` ago, in `status`: its slug and id."""
    made = await create(api)
    async with sessions() as session, session.begin():
        await session.exec(
            update(Project)
            .where(col(Project.id) == uuid.UUID(made["id"]))
            .values(status=status, updated_at=_ago(days))
        )
    return str(made["slug"]), str(made["id"])


async def _conversation(
    sessions: Any, project_id: str, status: str, days: float, said: float
) -> uuid.UUID:
    async with sessions() as session, session.begin():
        talk = Conversation(
            project_id=uuid.UUID(project_id),
            phase="discovery",
            status=status,
            locale="en",
            created_at=_ago(days),
            updated_at=_ago(days),
        )
        session.add(talk)
        await session.flush()
        session.add(
            ConversationMessage(
                conversation_id=talk.id,
                project_id=talk.project_id,
                seq=1,
                role="user",
                content="We bake bread.",
                idempotency_key="turn-1",
                created_at=_ago(said),
            )
        )
        return talk.id


async def _deploy(settings: Settings, tmp_path: Path, slug: str) -> Path:
    dist = tmp_path / "dist"
    dist.mkdir(exist_ok=True)
    (dist / "index.html").write_text("<h1>site</h1>")
    hosting = LocalHosting(settings.sites_root, settings.addresses)
    await hosting.deploy(slug, dist, f"site-{slug}:deploy:r1")
    await hosting.take_down(slug)
    return settings.sites_root / slug / "deploys"


async def _run(temporal: Client, settings: Settings, rules: CleanupInput = RULES) -> CleanupReport:
    return await temporal.execute_workflow(
        CleanupWorkflow.run,
        rules,
        id=f"cleanup-test-{uuid.uuid4()}",
        task_queue=settings.task_queue,
    )


async def _record(sessions: Any, run_key: str) -> CleanupRun:
    async with sessions() as session:
        return (await session.exec(select(CleanupRun).where(CleanupRun.run_key == run_key))).one()


async def test_each_rule_removes_what_it_says_once(
    api: httpx.AsyncClient,
    worker: None,
    temporal: Client,
    settings: Settings,
    sessions: Any,
    tmp_path: Path,
) -> None:
    old_cancelled = await _project(api, sessions, ProjectStatus.CANCELLED, 40)
    new_cancelled = await _project(api, sessions, ProjectStatus.CANCELLED, 5)
    old_live = await _project(api, sessions, ProjectStatus.PREVIEW_READY, 40)
    chatting = await _project(api, sessions, ProjectStatus.PENDING, 0)
    previews = {
        name: await _deploy(settings, tmp_path, slug)
        for name, (slug, _) in (("old", old_cancelled), ("new", new_cancelled), ("live", old_live))
    }
    work = settings.work_root
    old_build = _entry(work, "some-site", "abc123-1", days=10)
    young_build = _entry(work, "some-site", "def456-2", days=2)
    abandoned = await _conversation(sessions, old_cancelled[1], "active", 40, 40)
    spoken_lately = await _conversation(sessions, new_cancelled[1], "active", 40, 2)
    finished = await _conversation(sessions, old_live[1], "completed", 40, 40)
    fresh = await _conversation(sessions, chatting[1], "active", 1, 1)

    first = await _run(temporal, settings)
    await keep_history(temporal, first.run_key, "cleanup/rules_removed")
    assert first.errors == {}
    assert first.counts == {"cancelled_previews": 1, "build_dirs": 1, "abandoned_conversations": 1}
    assert list(previews["old"].iterdir()) == []
    assert len(list(previews["new"].iterdir())) == 1 and len(list(previews["live"].iterdir())) == 1
    assert not old_build.exists() and young_build.is_dir()
    async with sessions() as session:
        left = set((await session.exec(select(Conversation.id))).all())
    assert abandoned not in left and {spoken_lately, finished, fresh} <= left
    record = await _record(sessions, first.run_key)
    assert record.finished_at is not None and record.counts == first.counts
    assert record.rules == {
        "cancelled_previews": 30,
        "build_dirs": 7,
        "abandoned_conversations": 30,
    }

    second = await _run(temporal, settings)
    assert second.counts == dict.fromkeys(first.counts, 0) and second.errors == {}
    runs = (await api.get("/api/v1/cleanup-runs", params={"limit": 500})).json()
    listed = {run["run_key"]: run for run in runs}
    assert listed[first.run_key]["counts"] == first.counts
    assert listed[second.run_key]["counts"] == second.counts
    assert runs.index(listed[second.run_key]) < runs.index(listed[first.run_key])


async def test_a_rule_turned_off_is_not_run(
    worker: None, temporal: Client, settings: Settings
) -> None:
    report = await _run(
        temporal,
        settings,
        CleanupInput(cancelled_preview_days=0, build_dir_days=7, conversation_days=0),
    )
    assert report.counts == {"build_dirs": 0} and report.errors == {}


class _BrokenSweeper:
    async def remove_preview(self, site: str) -> int:
        raise OSError("the disk is read-only")


async def test_a_failing_rule_is_recorded_and_the_others_run(
    api: httpx.AsyncClient, temporal: Client, settings: Settings, sessions: Any
) -> None:
    await _project(api, sessions, ProjectStatus.CANCELLED, 40)
    acts = CleanupActivities(sessions, _BrokenSweeper(), settings.work_root)
    async with Worker(
        temporal,
        task_queue=settings.task_queue,
        workflows=[CleanupWorkflow],
        activities=[
            acts.start_cleanup_run,
            acts.finish_cleanup_run,
            acts.remove_cancelled_previews,
            acts.remove_old_build_dirs,
            acts.remove_abandoned_conversations,
        ],
    ):
        report = await _run(temporal, settings)
        await keep_history(temporal, report.run_key, "cleanup/rule_failed")
    assert "read-only" in report.errors["cancelled_previews"]
    assert set(report.counts) == {"build_dirs", "abandoned_conversations"}
    record = await _record(sessions, report.run_key)
    assert record.errors == report.errors and record.finished_at is not None


async def test_the_schedule_is_made_updated_and_removed(
    worker: None, temporal: Client, settings: Settings, sessions: Any
) -> None:
    schedule_id = await ensure_cleanup_schedule(temporal, settings)
    assert schedule_id == f"{settings.task_queue}-cleanup"
    handle = temporal.get_schedule_handle(schedule_id)
    try:
        # Made again by another worker: the same one schedule, brought up to date.
        quicker = settings.model_copy(update={"cleanup_interval_minutes": 15})
        assert await ensure_cleanup_schedule(temporal, quicker) == schedule_id
        described = await handle.describe()
        assert described.schedule.spec.intervals[0].every == timedelta(minutes=15)
        await handle.trigger()

        async def ran() -> CleanupRun | None:
            async with sessions() as session:
                found = await session.exec(
                    select(CleanupRun)
                    .where(col(CleanupRun.run_key).startswith(f"{schedule_id}-"))
                    .where(col(CleanupRun.finished_at).is_not(None))
                )
                return found.first()

        run = await wait_for(ran, 30)
        assert run.errors == {}
        off = settings.model_copy(update={"cleanup_interval_minutes": 0})
        assert await ensure_cleanup_schedule(temporal, off) is None
        assert await ensure_cleanup_schedule(temporal, off) is None  # already gone: fine
        with pytest.raises(RPCError):
            await handle.describe()
    finally:
        with contextlib.suppress(RPCError):
            await handle.delete()


def test_cleanup_histories_are_committed() -> None:
    assert {p.stem for p in CLEANUP_HISTORIES} >= {"rules_removed", "rule_failed"}


@pytest.mark.parametrize("path", CLEANUP_HISTORIES, ids=lambda p: Path(p).stem)
async def test_cleanup_history_replays(path: Path) -> None:
    """Recorded runs replay against today's workflow code (record again with
    SITEGEN_RECORD_HISTORIES=1 only for a change guarded by `workflow.patched`)."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[CleanupWorkflow], data_converter=data_converter(Settings()))
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
