"""Personas and provider configurations through the API, on the session's Postgres: the
seeded defaults, edits, overrides by template and by order (order > template > default),
keys that go in once and never come back, bad input named by field, and clients kept out."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from sitegen.config_secrets import ConfigCipher
from sitegen.contracts.ai_roles import AI_STEPS
from sitegen.contracts.personas import BUILTIN, system_text
from sitegen.db.personas import PersonaStore
from sitegen.db.tables_personas import LLMProviderConfig
from sitegen.settings import Settings
from tests.api.accounts_support import make_user, tenant
from tests.api.support import create, errors_by_field, tag

PERSONAS = "/api/v1/personas"
CONFIGS = "/api/v1/provider-configs"
KEY = "sk-ant-agency-client-key-9876"


def persona_body(step: str = "sitemap", **values: Any) -> dict[str, Any]:
    return {
        "name": f"{step} {tag()}",
        "step": step,
        "role": "a senior information architect",
        "goal": "You keep every site to the pages its visitors need.",
        "model": "claude-sonnet-4-6",
        "max_tokens": 2_500,
        **values,
    }


async def made(api: httpx.AsyncClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(url, json=body)
    assert response.status_code == 201, response.text
    out: dict[str, Any] = response.json()
    return out


@pytest.fixture
async def landing_override(api: httpx.AsyncClient) -> AsyncIterator[dict[str, Any]]:
    """A template override on `landing` for the sitemap step, removed after the test: other
    tests share the database and the template."""
    persona = await made(api, PERSONAS, persona_body(model="claude-haiku-4-5"))
    put = await api.put(
        "/api/v1/templates/landing/personas/sitemap", json={"persona_id": persona["id"]}
    )
    assert put.status_code == 200, put.text
    try:
        yield persona
    finally:
        await api.delete("/api/v1/templates/landing/personas/sitemap")


async def test_every_step_has_its_default_persona(api: httpx.AsyncClient) -> None:
    listed = (await api.get(PERSONAS)).json()
    defaults = {p["step"]: p for p in listed if p["is_default"]}
    assert set(defaults) == set(AI_STEPS)
    for step, p in defaults.items():
        builtin = BUILTIN[step]
        assert (p["role"], p["goal"], p["model"], p["max_tokens"]) == (
            builtin.role,
            builtin.goal,
            builtin.model,
            builtin.max_tokens,
        )
        assert p["temperature"] is None and p["provider_config_id"] is None
    only = (await api.get(PERSONAS, params={"step": "brief"})).json()
    assert {p["step"] for p in only} == {"brief"} and len(only) >= 1


async def test_a_persona_is_made_read_and_changed(api: httpx.AsyncClient) -> None:
    persona = await made(api, PERSONAS, persona_body(temperature=0.4, backstory="Ex-librarian."))
    assert persona["is_default"] is False and persona["temperature"] == 0.4
    url = f"{PERSONAS}/{persona['id']}"
    assert (await api.get(url)).json() == persona

    changed = await api.patch(url, json={"temperature": 0.9, "max_tokens": 3_000})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["temperature"], changed.json()["max_tokens"]) == (0.9, 3_000)
    assert changed.json()["goal"] == persona["goal"]  # what was not sent stays
    cleared = (await api.patch(url, json={"temperature": None})).json()
    assert cleared["temperature"] is None

    assert errors_by_field(await api.patch(url, json={"name": None})) == {"name": "may not be null"}
    assert "model" in errors_by_field(await api.patch(url, json={"model": None}))
    assert "step" in errors_by_field(await api.patch(url, json={"step": "brief"}))
    taken = await api.post(PERSONAS, json=persona_body(name=persona["name"]))
    assert taken.status_code == 409 and taken.json()["field"] == "name"
    assert (await api.get(f"{PERSONAS}/{uuid.uuid4()}")).status_code == 404
    assert (await api.patch(f"{PERSONAS}/{uuid.uuid4()}", json={})).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"temperature": 1.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"step": "mystery"}, "step"),
        ({"step": None}, "step"),
        ({"model": ""}, "model"),
        ({"model": "claude sonnet"}, "model"),
        ({"model": None}, "model"),  # and no provider configuration to take one from
        ({"max_tokens": 10}, "max_tokens"),
        ({"role": "  "}, "role"),
        ({"name": "a\x00b"}, "name"),
        ({"effort": "extreme"}, "effort"),
        ({"provider_config_id": str(uuid.uuid4())}, "provider_config_id"),
        ({"api_key": "sk-ant-123456789"}, "api_key"),
    ],
)
async def test_bad_persona_input_is_422_naming_the_field(
    api: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    response = await api.post(PERSONAS, json=persona_body(**change))
    assert field in errors_by_field(response), response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "openai"}, "provider"),
        ({"provider": None}, "provider"),
        ({"model": ""}, "model"),
        ({"model": "claude-unpriced-9"}, "model"),  # no price: a budget could not hold it
        ({"name": ""}, "name"),
        ({"api_key": "short"}, "api_key"),
        ({"api_key": "sk ant with spaces"}, "api_key"),
        ({"api_key": "sk-ant-\ud800-broken"}, "api_key"),
    ],
)
async def test_bad_provider_config_input_is_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    full = {"name": f"acme {tag()}", "provider": "anthropic", "model": "claude-haiku-4-5", **body}
    # Escaped JSON, as a client would send a lone surrogate (httpx cannot encode one raw).
    raw = json.dumps(full)
    response = await api.post(CONFIGS, content=raw, headers={"Content-Type": "application/json"})
    assert field in errors_by_field(response), response.text


async def test_a_provider_configs_key_goes_in_once_and_never_comes_back(
    api: httpx.AsyncClient, sessions: Any
) -> None:
    body = {"name": f"acme {tag()}", "provider": "anthropic", "model": "claude-haiku-4-5"}
    config = await made(api, CONFIGS, {**body, "api_key": KEY})
    assert (config["api_key_set"], config["api_key_last4"]) == (True, KEY[-4:])
    url = f"{CONFIGS}/{config['id']}"
    answers = [
        await api.get(CONFIGS),
        await api.get(url),
        await api.patch(url, json={"name": f"acme renamed {tag()}"}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert KEY not in answer.text and KEY[:-4] not in answer.text
    async with sessions() as session:
        row = (
            await session.exec(
                select(LLMProviderConfig).where(LLMProviderConfig.id == uuid.UUID(config["id"]))
            )
        ).one()
    assert row.api_key_encrypted and KEY not in row.api_key_encrypted

    # A persona on it; the configuration cannot go while the persona uses it.
    persona = await made(api, PERSONAS, persona_body(model=None, provider_config_id=config["id"]))
    assert persona["model"] is None and persona["provider_config_id"] == config["id"]
    in_use = await api.delete(url)
    assert in_use.status_code == 409, in_use.text
    moved = await api.patch(f"{PERSONAS}/{persona['id']}", json={"provider_config_id": None})
    assert "model" in errors_by_field(moved)  # a persona needs a model from somewhere
    moved = await api.patch(
        f"{PERSONAS}/{persona['id']}",
        json={"provider_config_id": None, "model": "claude-haiku-4-5"},
    )
    assert moved.status_code == 200, moved.text

    removed = (await api.patch(url, json={"api_key": None})).json()
    assert (removed["api_key_set"], removed["api_key_last4"]) == (False, None)
    assert "provider" in errors_by_field(await api.patch(url, json={"provider": "offline"}))
    assert (await api.delete(url)).status_code == 204
    assert (await api.get(url)).status_code == 404


async def test_only_the_agency_may_see_or_change_personas(api: httpx.AsyncClient) -> None:
    client = await tenant(api)
    persona = await made(api, PERSONAS, persona_body())
    project = client.project["id"]
    calls = [
        ("GET", PERSONAS, None),
        ("POST", PERSONAS, persona_body()),
        ("PATCH", f"{PERSONAS}/{persona['id']}", {"temperature": 0.1}),
        ("GET", CONFIGS, None),
        ("POST", CONFIGS, {"name": f"x {tag()}", "provider": "offline", "model": "m"}),
        ("GET", f"/api/v1/projects/{project}/personas", None),
        ("PUT", f"/api/v1/projects/{project}/personas/sitemap", {"persona_id": persona["id"]}),
        ("PUT", "/api/v1/templates/landing/personas/sitemap", {"persona_id": persona["id"]}),
    ]
    for method, url, body in calls:
        refused = await api.request(method, url, json=body, headers=client.headers)
        assert refused.status_code == 403, (method, url, refused.text)
    operator = await make_user(api, "operator")
    assert (await api.get(PERSONAS, headers=operator)).status_code == 200
    assert (await api.get(CONFIGS, headers=operator)).status_code == 200
    # Nothing the client sent took effect.
    assert (await api.get(f"{PERSONAS}/{persona['id']}")).json()["temperature"] is None
    effective = (await api.get(f"/api/v1/projects/{project}/personas")).json()
    assert {e["source"] for e in effective} == {"default"}


async def test_order_beats_template_beats_default(
    api: httpx.AsyncClient, settings: Settings, sessions: Any, landing_override: dict[str, Any]
) -> None:
    config = await made(
        api,
        CONFIGS,
        {"name": f"client {tag()}", "provider": "anthropic", "model": "claude-haiku-4-5",
         "api_key": KEY},
    )  # fmt: skip
    ours = await made(
        api, PERSONAS, persona_body(model=None, provider_config_id=config["id"], temperature=0.7)
    )
    a, b = await create(api), await create(api)
    saas = await create(api, template_id="saas")
    put = await api.put(
        f"/api/v1/projects/{a['id']}/personas/sitemap", json={"persona_id": ours["id"]}
    )
    assert put.status_code == 200, put.text
    assert put.json()["project_id"] == a["id"] and put.json()["template_id"] is None

    def sitemap_of(effective: list[dict[str, Any]]) -> tuple[str, str]:
        (line,) = [e for e in effective if e["step"] == "sitemap"]
        return line["source"], line["persona"]["id"]

    assert sitemap_of((await api.get(f"/api/v1/projects/{a['id']}/personas")).json()) == (
        "project",
        ours["id"],
    )
    assert sitemap_of((await api.get(f"/api/v1/projects/{b['id']}/personas")).json()) == (
        "template",
        landing_override["id"],
    )
    assert sitemap_of((await api.get(f"/api/v1/projects/{saas['id']}/personas")).json())[0] == (
        "default"
    )
    listed = (await api.get("/api/v1/templates/landing/personas")).json()
    assert [(o["step"], o["persona_id"]) for o in listed] == [("sitemap", landing_override["id"])]

    # What the worker resolves: the key opened for the call, the model from the config.
    store = PersonaStore(sessions, ConfigCipher.from_settings(settings))
    mine = await store.resolve(uuid.UUID(a["id"]), "landing", "sitemap")
    assert mine is not None and mine.source == "project"
    assert (mine.model, mine.temperature, mine.provider) == ("claude-haiku-4-5", 0.7, "anthropic")
    assert mine.api_key is not None and mine.api_key.get_secret_value() == KEY
    assert mine.system == system_text(ours["role"], ours["goal"])
    theirs = await store.resolve(uuid.UUID(b["id"]), "landing", "sitemap")
    assert theirs is not None and theirs.persona_id == uuid.UUID(landing_override["id"])
    assert theirs.api_key is None and theirs.provider is None
    # The unedited default on another template: nothing changes for that step.
    assert await store.resolve(uuid.UUID(saas["id"]), "saas", "sitemap") is None
    assert await store.resolve(uuid.UUID(a["id"]), "landing", "brief") is None

    gone = await api.delete(f"/api/v1/projects/{a['id']}/personas/sitemap")
    assert gone.status_code == 204
    assert (await api.delete(f"/api/v1/projects/{a['id']}/personas/sitemap")).status_code == 404
    assert sitemap_of((await api.get(f"/api/v1/projects/{a['id']}/personas")).json())[0] == (
        "template"
    )


async def test_bad_overrides_are_refused_by_field(api: httpx.AsyncClient) -> None:
    project = await create(api)
    sitemap = await made(api, PERSONAS, persona_body())
    url = f"/api/v1/projects/{project['id']}/personas"
    wrong_step = await api.put(f"{url}/brief", json={"persona_id": sitemap["id"]})
    assert "persona_id" in errors_by_field(wrong_step)
    assert "step" in errors_by_field(
        await api.put(f"{url}/mystery", json={"persona_id": sitemap["id"]})
    )
    unknown = await api.put(f"{url}/sitemap", json={"persona_id": str(uuid.uuid4())})
    assert "persona_id" in errors_by_field(unknown)
    assert "persona_id" in errors_by_field(await api.put(f"{url}/sitemap", json={}))
    nowhere = f"/api/v1/projects/{uuid.uuid4()}/personas/sitemap"
    assert (await api.put(nowhere, json={"persona_id": sitemap["id"]})).status_code == 404
    for template in ("nowhere", "bad%00id"):
        missing = await api.put(
            f"/api/v1/templates/{template}/personas/sitemap", json={"persona_id": sitemap["id"]}
        )
        assert missing.status_code == 404, missing.text
    # Setting the same override twice keeps one.
    for _ in range(2):
        again = await api.put(f"{url}/sitemap", json={"persona_id": sitemap["id"]})
        assert again.status_code == 200, again.text
    effective = (await api.get(url)).json()
    assert [e["source"] for e in effective if e["step"] == "sitemap"] == ["project"]
