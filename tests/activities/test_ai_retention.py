"""Retention of AI answers: an answer older than the retention is erased (it may quote the
client), its costs and tokens stay (the accounting record), newer answers are kept; a sweep
long overdue hands back in bounded steps; the outbox sender sweeps on its own, at most hourly,
across continue-as-new."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select, update
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner

from sitegen.activities.ai_ledger import PostgresLedger
from sitegen.activities.ai_retention import RetentionActivities
from sitegen.cli.main import app
from sitegen.contracts.outbox import StopSender
from sitegen.contracts.retention import SweepInput
from sitegen.db.ai_retention import erase_old_responses
from sitegen.db.tables import AICall, Customer, Project
from sitegen.integrations.ai.ledger import CallScope, LedgerCall, PaidCall
from sitegen.settings import Settings
from sitegen.workflows.outbox import OutboxSenderWorkflow
from tests.conftest import wait_for
from tests.notify.support import prefix, start_sender
from tests.pipeline.helpers import keep_history


async def new_project(sessions: Any) -> uuid.UUID:
    """Written straight to the database: the ledger needs only the row it locks and
    references, not an order through the API."""
    tag = uuid.uuid4().hex[:10]
    customer = Customer(name="Ana Souza", email=f"ana+{tag}@example.com")
    project = Project(
        customer_id=customer.id, name=f"Ledger {tag}", slug=f"ledger-{tag}", template_id="landing"
    )
    async with sessions() as session, session.begin():
        session.add(customer)
        await session.flush()
        session.add(project)
    return project.id


async def _paid_call(sessions: Any, project_id: uuid.UUID, name: str, age: timedelta) -> uuid.UUID:
    """A call paid for `age` ago, through the ledger as the Claude adapter pays one."""
    ledger = PostgresLedger(sessions, Decimal("100"), calls_per_hour=1000)
    scope = CallScope(project_id, "generate_content", 1, f"wf/run/{name}")
    call = LedgerCall(scope, "page_content", "claude-sonnet-5-5", f"wf/run/{name}/0")
    reserved = await ledger.reserve(call, Decimal("0.50"))
    assert reserved.row_id is not None
    paid = PaidCall(10, 20, 3, 4, Decimal("0.0123"), 5, "req_1", {"answer": f"{name}'s copy"})
    await ledger.settle(reserved.row_id, paid)
    async with sessions() as session, session.begin():
        await session.execute(
            update(AICall)
            .where(col(AICall.id) == reserved.row_id)
            .values(created_at=func.now() - age)
        )
    return reserved.row_id


async def _stored(sessions: Any, row_ids: list[uuid.UUID]) -> int:
    """Rows among these that still hold an answer, as SQL sees it (JSON 'null' counts)."""
    async with sessions() as session:
        found = await session.execute(
            select(func.count())
            .where(col(AICall.id).in_(row_ids))
            .where(col(AICall.response).is_not(None))
        )
    return int(found.scalar_one())


async def _row(sessions: Any, row_id: uuid.UUID) -> AICall:
    async with sessions() as session:
        found: AICall = (await session.exec(select(AICall).where(AICall.id == row_id))).one()
    return found


async def test_answers_past_the_retention_are_erased_and_their_costs_stay(
    sessions: Any,
) -> None:
    project_id = await new_project(sessions)
    old = await _paid_call(sessions, project_id, "old", timedelta(days=31))
    recent = await _paid_call(sessions, project_id, "recent", timedelta(days=29))
    swept = await ActivityEnvironment().run(
        RetentionActivities(sessions, ai_response_days=30).sweep_ai_responses, SweepInput()
    )
    assert swept.done and swept.ai_responses_erased >= 1
    erased = await _row(sessions, old)
    assert erased.response is None and await _stored(sessions, [old]) == 0
    # The accounting record is whole: status, cost and every token count.
    assert erased.status == "paid" and erased.cost_usd == Decimal("0.0123")
    assert (erased.input_tokens, erased.output_tokens) == (10, 20)
    assert (erased.cache_read_tokens, erased.cache_write_tokens) == (3, 4)
    assert (await _row(sessions, recent)).response == {"answer": "recent's copy"}


async def test_a_long_overdue_sweep_hands_back_and_is_taken_up_again(
    sessions: Any,
) -> None:
    project_id = await new_project(sessions)
    rows = [await _paid_call(sessions, project_id, f"p{i}", timedelta(days=90)) for i in range(3)]
    age = timedelta(days=60)
    # Out of time after one batch: rows are still due, so it says it is not done.
    first = await erase_old_responses(sessions, age, batch_size=1, time_budget_seconds=0)
    assert (first.rows, first.done) == (1, False)
    rest = await erase_old_responses(sessions, age, batch_size=1)
    assert rest.done and rest.rows >= 2
    assert await _stored(sessions, rows) == 0


async def test_an_operator_erases_old_answers_from_the_command_line(
    sessions: Any, database_url: str, tmp_path: Any
) -> None:
    project_id = await new_project(sessions)
    old = await _paid_call(sessions, project_id, "old", timedelta(days=10))
    kept = await _paid_call(sessions, project_id, "kept", timedelta(days=2))
    env = {"SITEGEN_DATABASE_URL": database_url, "SITEGEN_DATA_DIR": str(tmp_path)}
    args = ["erase-old-ai-answers", "--days", "7"]
    # In a thread: the command runs its own event loop.
    done = await asyncio.to_thread(CliRunner().invoke, app, args, None, env)
    assert done.exit_code == 0, done.output
    assert "older than 7 days" in done.output
    assert await _stored(sessions, [old]) == 0 and await _stored(sessions, [kept]) == 1


@pytest.mark.usefixtures("worker")
async def test_the_outbox_sender_sweeps_at_most_hourly_across_continue_as_new(
    settings: Settings, sessions: Any, temporal: Client
) -> None:
    project_id = await new_project(sessions)
    overdue = await _paid_call(sessions, project_id, "overdue", timedelta(days=45))
    sender = await start_sender(temporal, settings, prefix(), poll_seconds=0.05, loops_per_run=2)

    async def erased(row_id: uuid.UUID) -> bool:
        return (await _row(sessions, row_id)).response is None

    await wait_for(lambda: erased(overdue), 20)
    # Swept a moment ago: an answer that expires now waits for the next hour, through the
    # several runs the sender continues as new meanwhile.
    later = await _paid_call(sessions, project_id, "later", timedelta(days=45))
    latest = temporal.get_workflow_handle_for(OutboxSenderWorkflow.run, sender.id)
    runs = {sender.result_run_id}

    async def another_run() -> bool:
        runs.add((await latest.describe()).run_id)
        return len(runs) >= 3

    # A whole run after the sweeping one has come and gone (each run sweeps first if due).
    await wait_for(another_run, 30)
    assert not await erased(later)
    await latest.signal(OutboxSenderWorkflow.stop, StopSender(reason="test over"))
    await latest.result()
    # The run that swept (its patch marker and local activity) replays in test_outbox_replay.
    await keep_history(
        temporal, sender.id, "outbox/outbox_ai_retention_sweep", sender.result_run_id
    )
