"""Committed histories must replay against today's workflow code: a change that breaks
determinism fails here, not in production (guard such changes with `workflow.patched`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from sitegen.settings import Settings
from sitegen.temporal_client import data_converter
from sitegen.workflows.site_generation import SiteGenerationWorkflow
from tests.pipeline.helpers import HISTORIES

HISTORY_FILES = sorted(HISTORIES.glob("*.json"))


def test_histories_are_committed() -> None:
    names = {p.stem for p in HISTORY_FILES}
    # Runs from before the project-life patch: they must keep replaying on today's code.
    assert {"invalid_onboarding_corrected", "fixes_exhausted_operator_abort"} <= names
    assert any(n.startswith("preview_then_cancel_") for n in names)
    # Runs of today's code, through every part of a project's life.
    assert {
        "life_three_revisions",
        "life_revision_rollback_pt",
        "life_preview_approved_delivered",
        "life_plan_sign_off",
        "life_after_continue_as_new_delivered",
        "life_fixes_exhausted_operator_abort",
        "life_invalid_onboarding_corrected",
    } <= names
    # Runs through outages: a database down waited out, a correction found without a signal.
    assert {"life_postgres_outage_waited_out", "life_correction_found_unsignalled"} <= names
    # Runs through the newer paths: a step re-run after its workers died (patched), and a
    # fix loop that stops early, for no progress or a sandbox limit (patched).
    assert {
        "life_build_outlives_worker_deaths",
        "life_fix_loop_stops_no_progress",
        "life_fix_loop_stops_at_sandbox_limit",
    } <= names


@pytest.mark.parametrize("path", HISTORY_FILES, ids=lambda p: Path(p).stem)
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    # The converter every process uses: recordings made since payloads are encrypted open with
    # the fixed test key (tests/conftest.py); older plaintext ones pass through the codec.
    replayer = Replayer(
        workflows=[SiteGenerationWorkflow], data_converter=data_converter(Settings())
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
