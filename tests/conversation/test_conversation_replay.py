"""Committed histories of the conversation workflow replay against today's code (record
again with SITEGEN_RECORD_HISTORIES=1, running tests/api/test_conversation.py, only for a
change guarded by `workflow.patched`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from sitegen.settings import Settings
from sitegen.temporal_client import data_converter
from sitegen.workflows.conversation import ConversationWorkflow
from tests.pipeline.helpers import HISTORIES

CONVERSATION_HISTORIES = sorted((HISTORIES / "conversation").glob("*.json"))


def test_conversation_histories_are_committed() -> None:
    assert {p.stem for p in CONVERSATION_HISTORIES} >= {
        "english_chat_confirmed",
        "continued_as_new",
    }


@pytest.mark.parametrize("path", CONVERSATION_HISTORIES, ids=lambda p: Path(p).stem)
async def test_conversation_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[ConversationWorkflow], data_converter=data_converter(Settings()))
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
