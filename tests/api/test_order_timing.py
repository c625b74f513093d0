"""Rush orders and orders that start later, through the API onto the real dev server: the
run starts with its priority, a later start waits (visible, cancellable), bad times are 422."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from sitegen.settings import Settings
from tests.api.support import PROJECTS, create, errors_by_field, tag
from tests.api.test_stripe_orders import SECRET, checkout_event, deliver
from tests.conftest import app_client, order_body, unique_onboarding


def _at(days: float = 0, **delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days, **delta)


async def _execution_info(handle: WorkflowHandle[Any, Any]) -> Any:
    return (await handle.describe()).raw_description.workflow_execution_info


async def _code_ran(handle: WorkflowHandle[Any, Any]) -> bool:
    events = [event.event_type async for event in handle.fetch_history_events()]
    return EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED in events


@pytest.mark.parametrize(
    ("start_at", "reason"),
    [
        (lambda: _at(minutes=-1).isoformat(), "must be in the future"),
        (lambda: _at(days=91).isoformat(), "must be at most 90 days ahead"),
        (lambda: "2031-01-01T09:00:00", "Input should have timezone info"),
        (lambda: "next tuesday", "Input should be a valid datetime"),
    ],
    ids=["past", "too-far", "no-offset", "not-a-time"],
)
async def test_a_start_time_that_cannot_be_used_is_422(
    api: httpx.AsyncClient, start_at: Callable[[], str], reason: str
) -> None:
    response = await api.post(PROJECTS, json=order_body(start_at=start_at()))
    assert errors_by_field(response)["start_at"].startswith(reason)


async def test_an_unknown_priority_is_422(api: httpx.AsyncClient) -> None:
    response = await api.post(PROJECTS, json=order_body(priority="urgent"))
    assert "priority" in errors_by_field(response)


async def test_a_later_start_waits_shows_and_cancels(
    api: httpx.AsyncClient, worker: None, temporal: Client, started: Callable[[str], None]
) -> None:
    start_at = _at(hours=1)
    body = order_body(
        unique_onboarding("harbour-physio"),
        start_generation=True,
        start_at=start_at.isoformat(),
        priority="rush",
    )
    response = await api.post(PROJECTS, json=body)
    assert response.status_code == 201, response.text
    project = response.json()
    started(project["workflow_id"])
    assert project["status"] == "pending" and project["run_id"]
    assert project["priority"] == "rush"
    assert datetime.fromisoformat(project["scheduled_start"]) == start_at
    handle = temporal.get_workflow_handle(project["workflow_id"])
    info = await _execution_info(handle)
    assert abs(info.execution_time.ToDatetime(tzinfo=UTC) - start_at) < timedelta(seconds=5)
    assert info.priority.priority_key == 1
    # A worker polls this queue, yet nothing runs before its time.
    await asyncio.sleep(1.5)
    assert not await _code_ran(handle)
    assert (await api.get(f"{PROJECTS}/{project['id']}/pipeline")).json() == []
    shown = (await api.get(f"{PROJECTS}/{project['id']}")).json()
    assert (shown["status"], shown["scheduled_start"]) == ("pending", project["scheduled_start"])
    # What its run would take once started is refused at once, with when, not left to hang.
    url = f"{PROJECTS}/{project['id']}"
    for path, change in (
        ("revisions", {"message": "Change the colour to red"}),
        ("approve", {"approved_by": "Ana"}),
        ("plan/approve", {"approved_by": "Ana"}),
        ("history/1/revert", {}),
    ):
        refused = await api.post(f"{url}/{path}", json=change)
        assert refused.status_code in (404, 409), (path, refused.text)
        if path != "history/1/revert":  # no history yet: nothing to put back
            assert "starts at" in refused.json()["detail"], (path, refused.text)
    # The same order sent again is the same project and the same waiting run.
    again = await api.post(PROJECTS, json=body)
    assert again.status_code == 200 and again.json()["id"] == project["id"]
    assert again.json()["run_id"] == project["run_id"]

    cancel = await api.post(f"{PROJECTS}/{project['id']}/cancel", json={"reason": "not now"})
    assert cancel.status_code == 202, cancel.text
    assert cancel.json()["already_cancelled"] is False
    assert (await api.get(f"{PROJECTS}/{project['id']}")).json()["status"] == "cancelled"
    assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED
    assert not await _code_ran(handle)
    twice = await api.post(f"{PROJECTS}/{project['id']}/cancel", json={})
    assert twice.json()["already_cancelled"] is True
    assert (await api.post(f"{PROJECTS}/{project['id']}/generate")).status_code == 409


async def test_a_later_start_holds_when_generation_is_asked_afterwards(
    api: httpx.AsyncClient, temporal: Client, started: Callable[[str], None]
) -> None:
    start_at = _at(days=2)
    project = await create(
        api, onboarding=unique_onboarding("harbour-physio"), start_at=start_at.isoformat()
    )
    assert project["priority"] == "normal"
    generated = await api.post(f"{PROJECTS}/{project['id']}/generate")
    assert generated.status_code == 202, generated.text
    started(project["workflow_id"])
    info = await _execution_info(temporal.get_workflow_handle(project["workflow_id"]))
    assert abs(info.execution_time.ToDatetime(tzinfo=UTC) - start_at) < timedelta(seconds=5)
    assert info.priority.priority_key == 0  # Temporal's default: not a rush


async def test_an_order_without_timing_starts_at_once(
    api: httpx.AsyncClient, temporal: Client, started: Callable[[str], None]
) -> None:
    project = await create(
        api, onboarding=unique_onboarding("harbour-physio"), start_generation=True
    )
    started(project["workflow_id"])
    assert (project["priority"], project["scheduled_start"]) == ("normal", None)
    info = await _execution_info(temporal.get_workflow_handle(project["workflow_id"]))
    started_at = info.start_time.ToDatetime(tzinfo=UTC)
    assert info.execution_time.ToDatetime(tzinfo=UTC) - started_at < timedelta(seconds=1)


async def test_a_stripe_order_may_be_a_rush(settings: Settings) -> None:
    settings = settings.model_copy(update={"stripe_webhook_secret": SecretStr(SECRET)})
    async with app_client(settings) as api:
        event = checkout_event(f"rush-{tag()}@example.com", metadata={"priority": "rush"})
        answer = await deliver(api, event)
        assert answer.status_code == 200, answer.text
        project = (await api.get(f"{PROJECTS}/{answer.json()['project_id']}")).json()
        assert project["priority"] == "rush"
        plain = await deliver(api, checkout_event(f"plain-{tag()}@example.com"))
        shown = (await api.get(f"{PROJECTS}/{plain.json()['project_id']}")).json()
        assert shown["priority"] == "normal"
