"""The discovery conversation end to end, on the real dev server and Postgres: a chat in
English and in Portuguese to a plan, confirmed into a stored onboarding and a started
generation; a retried message answered once; the stream's events in order; bad input a
clear 4xx; a worker restarted and a run continued as new without losing a message."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from temporalio.client import Client

from sitegen.contracts.conversation import workflow_id_for
from sitegen.contracts.pipeline import workflow_id_for as generation_id
from sitegen.db.tables import Conversation, ConversationMessage
from sitegen.settings import Settings
from sitegen.worker import build_clients, build_worker
from tests.api.accounts_support import tenant
from tests.api.support import PROJECTS, create, errors_by_field
from tests.conftest import app_client, wait_for
from tests.conversation.scripts import EN, PT
from tests.pipeline.helpers import HISTORIES, keep_history


def _url(project: dict[str, Any], tail: str = "") -> str:
    return f"{PROJECTS}/{project['id']}/conversation{tail}"


async def say(
    api: httpx.AsyncClient, project: dict[str, Any], text: str, key: str | None = None
) -> dict[str, Any]:
    response = await api.post(
        _url(project, "/messages"),
        json={"text": text},
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


async def stream(
    api: httpx.AsyncClient, project: dict[str, Any], text: str
) -> list[tuple[str, Any]]:
    response = await api.post(
        _url(project, "/messages"),
        json={"text": text},
        headers={"Accept": "text/event-stream", "Idempotency-Key": str(uuid.uuid4())},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = []
    for block in response.text.strip().split("\n\n"):
        name, data = block.split("\n", 1)
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


async def stored_messages(engine: AsyncEngine, project_id: str) -> list[ConversationMessage]:
    from sitegen.db.engine import make_sessionmaker

    async with make_sessionmaker(engine)() as session:
        found = await session.exec(
            select(ConversationMessage)
            .join(Conversation)
            .where(Conversation.project_id == uuid.UUID(project_id))
            .order_by(ConversationMessage.seq)  # type: ignore[arg-type]
        )
        return list(found.all())


async def keep(temporal: Client, workflow_id: str, name: str, run_id: str | None = None) -> None:
    """The run's history for the replay test, when recording (SITEGEN_RECORD_HISTORIES=1)."""
    (HISTORIES / "conversation").mkdir(exist_ok=True)
    await keep_history(temporal, workflow_id, f"conversation/{name}", run_id)


@asynccontextmanager
async def running_worker(
    settings: Settings, engine: AsyncEngine, temporal: Client
) -> AsyncIterator[None]:
    async with build_worker(
        temporal, build_clients(settings, engine), settings, settings.task_queue
    ):
        yield


async def test_english_chat_to_plan_to_confirmed_onboarding_and_generation(
    api: httpx.AsyncClient, worker: None, engine: AsyncEngine, temporal: Client, started: Any
) -> None:
    project = await create(api)
    replies = [await say(api, project, text) for text in EN]
    assert [r["phase"] for r in replies] == ["discovery"] * 4 + ["planning"]
    assert all(r["plan"] is None for r in replies[:-1])
    plan, form = replies[-1]["plan"], replies[-1]["onboarding"]
    assert plan["name"] == "Sunflower Café" and plan["tone"] == "friendly"
    assert form["business"]["city"] == "Brighton" and form["locale"] == "en"
    # Asked one or two things at a time.
    assert all(1 <= r["reply"].count("?") <= 2 for r in replies[:-1])

    shown = (await api.get(_url(project))).json()
    assert shown["phase"] == "planning" and shown["locale"] == "en"
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant"] * len(EN)
    assert [m["seq"] for m in shown["messages"]] == list(range(1, 2 * len(EN) + 1))
    assert shown["messages"][0]["content"] == EN[0]
    assistant = shown["messages"][1]
    assert assistant["model"] == "offline-deterministic-v1" and assistant["token_count"] > 0
    assert shown["plan"] == plan and shown["onboarding"]["subdomain"] == "sunflower-cafe"

    form["subdomain"] = f"sunflower-{uuid.uuid4().hex[:8]}"
    confirmed = await api.post(_url(project, "/confirm"), json={"onboarding": form})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["phase"] == "iteration" and confirmed.json()["generation_started"]
    after = (await api.get(f"{PROJECTS}/{project['id']}")).json()
    generation = generation_id(after["slug"])
    started(generation)
    assert after["onboarding_submitted"] and after["subdomain"] == form["subdomain"]
    run = await temporal.get_workflow_handle(generation).describe()
    assert run.workflow_type == "SiteGenerationWorkflow"
    # The conversation ended with the confirmation; talking now is a revision's business.
    conversation = temporal.get_workflow_handle(workflow_id_for(project["id"]))

    async def completed() -> Any:
        found = await conversation.describe()
        return found if found.status is not None and found.status.name == "COMPLETED" else None

    closed = await wait_for(completed, 10)
    await keep(temporal, closed.id, "english_chat_confirmed")
    late = await api.post(_url(project, "/messages"), json={"text": "One more thing"})
    assert late.status_code == 409 and "iteration" in late.json()["detail"]
    again = await api.post(_url(project, "/confirm"), json={})
    assert again.status_code == 200 and not again.json()["generation_started"]
    assert len(await stored_messages(engine, project["id"])) == 2 * len(EN)


async def test_portuguese_chat_streams_its_events_and_takes_a_correction(
    api: httpx.AsyncClient, worker: None, started: Any
) -> None:
    project = await create(api)
    streams = [await stream(api, project, text) for text in PT]
    for events in streams:
        names = [name for name, _ in events]
        assert names[-1] == "done" and names.count("done") == 1
        assert set(names[:-1]) <= {"text", "plan_ready"} and names[0] == "text"
        # The text comes first, then the plan (if any), then done.
        assert names.index("done") > max(i for i, n in enumerate(names) if n == "text")
    assert all("plan_ready" not in [n for n, _ in e] for e in streams[:-1])
    last = dict(streams[-1])
    assert [n for n, _ in streams[-1]][-2:] == ["plan_ready", "done"]
    assert last["plan_ready"]["plan"]["name"] == "Padaria Pão & Afeto"
    assert last["done"]["phase"] == "planning"
    text = "".join(d["content"] for n, d in streams[0] if n == "text")
    assert text.startswith("Obrigado, anotei o nome")

    form = last["plan_ready"]["onboarding"]
    assert form["locale"] == "pt-BR"
    form["style"]["tone"] = "luxury"
    form["subdomain"] = f"paoeafeto-{uuid.uuid4().hex[:8]}"
    confirmed = await api.post(_url(project, "/confirm"), json={"onboarding": form})
    assert confirmed.status_code == 200, confirmed.text
    started(generation_id(project["slug"]))
    shown = (await api.get(_url(project))).json()
    assert shown["phase"] == "iteration" and shown["status"] == "completed"
    assert shown["onboarding"]["style"]["tone"] == "luxury"


async def test_the_same_message_sent_twice_is_answered_once(
    api: httpx.AsyncClient, worker: None, engine: AsyncEngine
) -> None:
    project = await create(api)
    key = str(uuid.uuid4())
    first = await say(api, project, EN[0], key)
    again = await say(api, project, EN[0], key)
    assert again["reply"] == first["reply"] and again["replayed"] and not first["replayed"]
    # Sent twice at once with a new key: one turn stored, both told the same.
    both = await asyncio.gather(*(say(api, project, EN[1], "twice-at-once") for _ in range(2)))
    assert both[0]["reply"] == both[1]["reply"]
    rows = await stored_messages(engine, project["id"])
    assert [(m.role, m.idempotency_key) for m in rows] == [
        ("user", key),
        ("assistant", key),
        ("user", "twice-at-once"),
        ("assistant", "twice-at-once"),
    ]


async def test_bad_input_is_a_clear_4xx(
    api: httpx.AsyncClient, worker: None, engine: AsyncEngine
) -> None:
    project = await create(api)
    messages = _url(project, "/messages")
    assert "text" in errors_by_field(await api.post(messages, json={"text": "   "}))
    assert "text" in errors_by_field(await api.post(messages, json={"text": "x" * 4001}))
    assert "text" in errors_by_field(await api.post(messages, json={"text": "a\x00b"}))
    assert "locale" in errors_by_field(
        await api.post(messages, json={"text": "hi", "locale": "fr"})
    )
    bad_key = await api.post(messages, json={"text": "hi"}, headers={"Idempotency-Key": "a b"})
    assert "Idempotency-Key" in errors_by_field(bad_key)
    unknown = f"{PROJECTS}/{uuid.uuid4()}/conversation"
    assert (await api.post(f"{unknown}/messages", json={"text": "hi"})).status_code == 404
    assert (await api.get(unknown)).status_code == 404
    early = await api.post(_url(project, "/confirm"), json={})
    assert early.status_code == 409 and "discovery" in early.json()["detail"]
    # Another customer's client: the project is not there, whatever is sent.
    other = await tenant(api)
    for text in ("hi", ""):
        response = await api.post(messages, json={"text": text}, headers=other.headers)
        assert response.status_code == 404
    # A correction the form's rules refuse: every problem named, nothing stored.
    for text in EN:
        await say(api, project, text)
    form = (await api.get(_url(project))).json()["onboarding"]
    form["business"]["email"] = "not-an-address"
    form["pages"] = ["home", "pricing"]
    refused = errors_by_field(await api.post(_url(project, "/confirm"), json={"onboarding": form}))
    assert {"onboarding.business.email", "onboarding.pages.1"} <= set(refused)
    assert (await api.get(_url(project))).json()["phase"] == "planning"
    assert not (await api.get(f"{PROJECTS}/{project['id']}")).json()["onboarding_submitted"]
    assert len(await stored_messages(engine, project["id"])) == 2 * len(EN)


async def test_a_worker_restart_and_continue_as_new_lose_nothing(
    settings: Settings, engine: AsyncEngine, temporal: Client
) -> None:
    # A low history limit: the conversation continues as new every turn or two.
    settings = settings.model_copy(update={"workflow_history_limit": 20})
    async with app_client(settings) as api:
        project = await create(api)
        keys = [str(uuid.uuid4()) for _ in EN]
        async with running_worker(settings, engine, temporal):
            first = [
                await say(api, project, text, key) for text, key in zip(EN[:2], keys, strict=False)
            ]
        # No worker for a moment: the conversation waits in Temporal; a new worker goes on.
        async with running_worker(settings, engine, temporal):
            rest = [await say(api, project, t, k) for t, k in zip(EN[2:], keys[2:], strict=True)]
            assert rest[-1]["plan"] is not None and rest[-1]["phase"] == "planning"
            # The first message again, several runs later: the same answer, nothing stored.
            replayed = await say(api, project, EN[0], keys[0])
            assert replayed["replayed"] and replayed["reply"] == first[0]["reply"]
        handle = temporal.get_workflow_handle(workflow_id_for(project["id"]))
        runs = [e async for e in temporal.list_workflows(f"WorkflowId = '{handle.id}'")]
        assert len(runs) > 1  # it did continue as new
        first_run = min(runs, key=lambda r: r.start_time)
        await keep(temporal, handle.id, "continued_as_new", first_run.run_id)
        await handle.terminate(reason="test over")
    rows = await stored_messages(engine, project["id"])
    assert [m.content for m in rows if m.role == "user"] == EN


async def test_once_the_preview_is_up_a_message_is_a_revision_request(
    api: httpx.AsyncClient, worker: None, engine: AsyncEngine, started: Any
) -> None:
    project = await create(api)
    for text in EN:
        plan_reply = await say(api, project, text)
    form = plan_reply["onboarding"]
    form["subdomain"] = f"sunflower-{uuid.uuid4().hex[:8]}"
    confirmed = await api.post(_url(project, "/confirm"), json={"onboarding": form})
    assert confirmed.status_code == 200, confirmed.text
    started(generation_id(project["slug"]))

    async def preview() -> dict[str, Any] | None:
        body: dict[str, Any] = (await api.get(f"{PROJECTS}/{project['id']}")).json()
        assert body["status"] not in ("needs_attention", "cancelled"), body
        return body if body["status"] == "preview_ready" else None

    await wait_for(preview, 120, interval=0.25)
    key = str(uuid.uuid4())
    change = await say(api, project, "Change the main colour to teal", key)
    assert change["phase"] == "iteration" and "number 1 in the queue" in change["reply"]
    again = await say(api, project, "Change the main colour to teal", key)
    assert again["replayed"] and again["reply"] == change["reply"]
    revisions = (await api.get(f"{PROJECTS}/{project['id']}/revisions")).json()
    assert [r["message"] for r in revisions] == ["Change the main colour to teal"]
    rows = await stored_messages(engine, project["id"])
    assert [(m.role, m.model) for m in rows[-2:]] == [
        ("user", None),
        ("assistant", "revision-queue"),
    ]
