"""Personas in a real run (dev server, Postgres, the worker, the real SDK against the local
Messages API fake): an order's persona changes the model, output bound, words and account
of that order's step only; a template's persona reaches every order on that template; the
offline AI names the persona it ran with; the agency's key is never shown or logged."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import structlog

from sitegen.contracts.personas import BUILTIN, system_text
from sitegen.settings import Settings
from tests.api.support import create, tag
from tests.conftest import unique_onboarding
from tests.fakes.anthropic import FakeAnthropic, Recorded
from tests.pipeline.claude import with_claude
from tests.pipeline.helpers import order_site, wait_status

pytestmark = pytest.mark.usefixtures("worker")

CLIENT_KEY = "sk-ant-agency-client-key-for-pipeline-5150"


@pytest.fixture
def settings(settings: Settings, fake_anthropic: FakeAnthropic) -> Settings:
    fake_anthropic.other_keys[CLIENT_KEY] = "client"
    return with_claude(settings, fake_anthropic)


async def made(api: httpx.AsyncClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(url, json=body)
    assert response.status_code == 201, response.text
    out: dict[str, Any] = response.json()
    assert CLIENT_KEY not in response.text
    return out


def asked(fake: FakeAnthropic, tool: str, since: int = 0) -> list[Recorded]:
    return [r for r in fake.requests[since:] if r.body["tool_choice"]["name"] == tool]


async def usage_of(api: httpx.AsyncClient, project_id: str, step: str) -> dict[str, Any]:
    steps = (await api.get(f"/api/v1/projects/{project_id}/pipeline")).json()
    (line,) = [s for s in steps if s["step_key"] == step]
    usage: dict[str, Any] = line["details"]["ai_usage"]
    return usage


async def test_an_orders_persona_runs_that_order_only_on_its_own_key(
    api: httpx.AsyncClient, fake_anthropic: FakeAnthropic
) -> None:
    fake = fake_anthropic
    with structlog.testing.capture_logs() as logs:
        config = await made(
            api,
            "/api/v1/provider-configs",
            {"name": f"client {tag()}", "provider": "anthropic", "model": "claude-haiku-4-5",
             "api_key": CLIENT_KEY},
        )  # fmt: skip
        persona = await made(
            api,
            "/api/v1/personas",
            {"name": f"brief {tag()}", "step": "brief", "role": "a plain-spoken strategist",
             "goal": "You write briefs a busy owner reads in one minute.", "temperature": 0.2,
             "max_tokens": 1_500, "provider_config_id": config["id"]},
        )  # fmt: skip
        ours = await create(api, onboarding=unique_onboarding("harbour-physio"))
        put = await api.put(
            f"/api/v1/projects/{ours['id']}/personas/brief", json={"persona_id": persona["id"]}
        )
        assert put.status_code == 200, put.text
        assert (await api.post(f"/api/v1/projects/{ours['id']}/generate")).status_code == 202
        project = await wait_status(api, ours["id"], seconds=120)
        assert project["status"] == "preview_ready", project
        mark = len(fake.requests)
        theirs = await order_site(api, unique_onboarding("harbour-physio"), template_id="landing")
        project = await wait_status(api, theirs["id"], seconds=120)
        assert project["status"] == "preview_ready", project

    (mine,) = asked(fake, "submit_brief")[:1]
    assert (mine.body["model"], mine.body["max_tokens"], mine.key) == (
        "claude-haiku-4-5",
        1_500,
        "client",
    )
    assert mine.body["system"][-1]["text"] == system_text(persona["role"], persona["goal"])
    assert "temperature" not in mine.body  # the API version in use refuses it
    # Every other step of that order ran as before, on the deployment's key.
    others = [r for r in fake.requests[:mark] if r is not mine]
    assert others and {r.key for r in others} == {"default"}
    assert "claude-haiku-4-5" not in {r.body["model"] for r in others}

    # The other order: its brief as it always was.
    (other,) = asked(fake, "submit_brief", since=mark)
    assert (other.body["model"], other.key) == (BUILTIN["brief"].model, "default")
    assert other.body["max_tokens"] == BUILTIN["brief"].max_tokens

    # Each step's record says which persona wrote it, and the ledger which model was paid.
    usage = await usage_of(api, ours["id"], "generate_brief")
    assert (usage["persona"], usage["model"]) == (persona["name"], "claude-haiku-4-5")
    assert (await usage_of(api, theirs["id"], "generate_brief"))["persona"] is None
    assert (await usage_of(api, ours["id"], "generate_sitemap"))["persona"] is None
    costs = (await api.get(f"/api/v1/projects/{ours['id']}/costs")).json()
    assert any(line["key"] == "generate_brief" for line in costs["by_step"])

    listed = await api.get("/api/v1/provider-configs")
    assert CLIENT_KEY not in listed.text and CLIENT_KEY[-4:] in listed.text
    assert CLIENT_KEY not in repr(logs)


async def test_a_templates_persona_reaches_its_orders_and_the_offline_ai_names_it(
    api: httpx.AsyncClient, fake_anthropic: FakeAnthropic
) -> None:
    """A template's persona on the offline provider: every landing order's layout plan is
    written by the offline AI (no request to Claude for it), and says so."""
    offline = await made(
        api,
        "/api/v1/provider-configs",
        {"name": f"offline {tag()}", "provider": "offline", "model": "offline-deterministic-v1"},
    )
    persona = await made(
        api,
        "/api/v1/personas",
        {"name": f"layout {tag()}", "step": "layout_plan", "role": "a calm designer",
         "goal": "You lay pages out.", "max_tokens": 3_000, "temperature": 0.0,
         "provider_config_id": offline["id"]},
    )  # fmt: skip
    url = "/api/v1/templates/landing/personas/layout_plan"
    assert (await api.put(url, json={"persona_id": persona["id"]})).status_code == 200
    try:
        created = await order_site(api, unique_onboarding("harbour-physio"), template_id="landing")
        project = await wait_status(api, created["id"], seconds=120)
        assert project["status"] == "preview_ready", project
    finally:
        assert (await api.delete(url)).status_code == 204
    assert asked(fake_anthropic, "submit_layout_plan") == []
    assert asked(fake_anthropic, "submit_sitemap")  # the other steps still went to Claude
    usage = await usage_of(api, created["id"], "generate_layout_plan")
    assert usage["persona"] == persona["name"] and usage["model"] == "offline-deterministic-v1"
    assert (await usage_of(api, created["id"], "generate_sitemap"))["persona"] is None
