"""Committed histories of the outbox sender replay against today's workflow code (record
again with SITEGEN_RECORD_HISTORIES=1 only for a change guarded by `workflow.patched`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from sitegen.settings import Settings
from sitegen.temporal_client import data_converter
from sitegen.workflows.outbox import OutboxSenderWorkflow
from tests.pipeline.helpers import HISTORIES

OUTBOX_HISTORIES = sorted((HISTORIES / "outbox").glob("*.json"))


def test_outbox_histories_are_committed() -> None:
    assert {p.stem for p in OUTBOX_HISTORIES} >= {"outbox_preview_ready_smtp"}


@pytest.mark.parametrize("path", OUTBOX_HISTORIES, ids=lambda p: Path(p).stem)
async def test_outbox_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[OutboxSenderWorkflow], data_converter=data_converter(Settings()))
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
