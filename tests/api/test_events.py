"""Live progress: the events Postgres writes for every change of a step, the project's status
and a revision, read in order, resumed after an id, streamed live to a reader that was there
first, and never to another customer's client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import make_url

from sitegen.cli.watch import read_events
from sitegen.db.events import EventCursor
from sitegen.settings import Settings
from tests.api.accounts_support import bearer, login, make_client
from tests.conftest import ADMIN_HEADERS, order_body, served_api, unique_onboarding
from tests.pipeline.helpers import order_site, wait_status


def frames(text: str) -> list[dict[str, Any]]:
    """The events of a text/event-stream body, read as `sitegen watch` reads them."""
    return [{"id": e.id, "event": e.kind, "data": e.data} for e in read_events(text.splitlines())]


@pytest.mark.usefixtures("worker")
async def test_a_generation_is_told_step_by_step_and_resumes_after_an_id(
    api: httpx.AsyncClient,
) -> None:
    project = await order_site(api, unique_onboarding("harbour-physio"))
    await wait_status(api, project["id"], ("preview_ready",))
    url = f"/api/v1/projects/{project['id']}/events"
    response = await api.get(url, params={"follow": "false"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = frames(response.text)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids, key=EventCursor.parse) and len(set(ids)) == len(ids)
    steps = [(e["data"]["step"], e["data"]["status"]) for e in events if e["event"] == "step"]
    for step in ("generate_brief", "build_and_test", "deploy_preview"):
        assert steps.index((step, "running")) < steps.index((step, "success")), step
    statuses = [e["data"]["status"] for e in events if e["event"] == "status"]
    assert statuses[-1] == "preview_ready"
    assert [e for e in events if e["event"] == "status"][-1]["data"]["preview_url"]

    # A reader that reconnects with the last id it saw gets only what came after.
    middle = events[len(events) // 2]["id"]
    resumed = await api.get(url, params={"follow": "false"}, headers={"Last-Event-ID": middle})
    assert [e["id"] for e in frames(resumed.text)] == ids[ids.index(middle) + 1 :]

    # The project's own client reads them; another customer's client learns nothing.
    own = bearer((await login(api, await make_client(api, project["customer_id"])))["access_token"])
    assert frames((await api.get(url, params={"follow": "false"}, headers=own)).text) == events
    other_customer = (await api.post("/api/v1/projects", json=order_body())).json()["customer_id"]
    stranger = bearer((await login(api, await make_client(api, other_customer)))["access_token"])
    assert (await api.get(url, params={"follow": "false"}, headers=stranger)).status_code == 404


@pytest.fixture
def live_api(settings: Settings) -> Iterator[str]:
    """The API as a real server: a stream is read as it is written, not once it ends."""
    fast = settings.model_copy(update={"events_poll_seconds": 0.2, "events_stream_seconds": 60})
    with served_api(fast) as base:
        yield base


@pytest.mark.usefixtures("worker")
async def test_a_reader_there_first_sees_the_preview_arrive(
    api: httpx.AsyncClient, live_api: str
) -> None:
    project = (await api.post("/api/v1/projects", json=order_body())).json()
    seen: list[dict[str, Any]] = []
    events_url = f"/api/v1/projects/{project['id']}/events"
    async with (
        httpx.AsyncClient(base_url=live_api, headers=ADMIN_HEADERS, timeout=60) as live,
        live.stream("GET", events_url) as stream,
    ):
        assert stream.status_code == 200
        onboarding = unique_onboarding("harbour-physio")
        sent = await api.post(f"/api/v1/projects/{project['id']}/onboarding", json=onboarding)
        assert sent.status_code == 201, sent.text
        assert (await api.post(f"/api/v1/projects/{project['id']}/generate")).status_code == 202
        buffer = ""
        async for chunk in stream.aiter_text():
            buffer += chunk
            seen = frames(buffer)
            if any(
                e["data"].get("status") == "preview_ready" for e in seen if e["event"] == "status"
            ):
                break
    assert any(e["event"] == "step" and e["data"]["status"] == "running" for e in seen)


async def test_an_event_committed_late_is_not_passed_over(
    api: httpx.AsyncClient, database_url: str
) -> None:
    """Ids are handed out before commit: a transaction that took a lower id and commits
    later must still be read by a reader already past the higher one."""
    project = (await api.post("/api/v1/projects", json=order_body())).json()
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    slow, quick = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    insert = "INSERT INTO project_event (project_id, kind, data) VALUES ($1, 'step', $2)"
    url = f"/api/v1/projects/{project['id']}/events"

    async def read(after: str = "") -> list[dict[str, Any]]:
        headers = {"Last-Event-ID": after} if after else {}
        answer = await api.get(url, params={"follow": "false"}, headers=headers)
        return frames(answer.text)

    try:
        late = slow.transaction()
        await late.start()
        await slow.execute(insert, uuid.UUID(project["id"]), '{"step": "late"}')
        await quick.execute(insert, uuid.UUID(project["id"]), '{"step": "early"}')
        # The quick one committed, but a transaction older than it is still open: held back.
        assert await read() == []
        await late.commit()
        both = await read()
        assert [e["data"]["step"] for e in both] == ["late", "early"]
        assert await read(both[0]["id"]) == both[1:]
    finally:
        await slow.close()
        await quick.close()


async def test_a_resume_point_that_is_not_ours_reads_from_the_start(
    api: httpx.AsyncClient,
) -> None:
    project = (await api.post("/api/v1/projects", json=order_body())).json()
    url = f"/api/v1/projects/{project['id']}/events"
    for odd in ("²-1".encode("latin-1"), b"99999999999999999999-1", b"x", b"-"):
        answer = await api.get(url, params={"follow": "false"}, headers={b"Last-Event-ID": odd})
        assert answer.status_code == 200, (odd, answer.text[:200])
    assert (await api.get(url, params={"follow": "false", "after": "9" * 30})).status_code == 200
