"""Hostile and malformed input never gets a 500, and the OpenAPI document is complete."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from sitegen.api.limits import json_depth
from tests.api.support import PROJECTS
from tests.conftest import order_body, unique_onboarding

HUGE = "x" * 1_000_000


def _with(path: str, value: Any) -> dict[str, Any]:
    body = order_body()
    target: Any = body
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return body


NASTY_CREATE_BODIES: list[Any] = [
    None,
    [],
    "a string",
    12,
    {},
    {"customer": None, "order": None, "name": None},
    _with("customer", None),
    _with("customer", "ana@example.com"),
    _with("customer.name", None),
    _with("customer.name", HUGE),
    _with("customer.email", HUGE + "@example.com"),
    _with("customer.email", ["a@example.com"]),
    _with("customer.phone", "9" * 1000),
    _with("order.reference", "ünïcödé"),
    _with("order.reference", HUGE),
    _with("order.amount_cents", "lots"),
    _with("order.amount_cents", 10**40),
    _with("order.amount_cents", 1.5),
    _with("order.currency", "€€€"),
    _with("template_id", 123),
    _with("template_id", None),
    _with("template_id", "a\x00b"),
    _with("name", ["list"]),
    _with("name", {"nested": {"deeper": None}}),
    _with("name", HUGE),
    _with("name", "   "),
    _with("name", "a\x00b"),
    _with("slug", 42),
    _with("onboarding", "form"),
    _with("onboarding", []),
    _with("onboarding", {}),
    _with("onboarding", {"business": None, "services": [None], "style": {"tone": None}}),
    _with("onboarding", {"business": {"name": {"a": [None, {"b": None}]}}}),
    _with("start_generation", "yes please"),
    _with("customer.name", "🎉" * 300),
]


@pytest.mark.parametrize("body", NASTY_CREATE_BODIES, ids=range(len(NASTY_CREATE_BODIES)))
async def test_nasty_create_bodies_are_422(api: httpx.AsyncClient, body: Any) -> None:
    response = await api.post(PROJECTS, json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"] if "errors" in response.json() else [response.json()]
    assert errors and all(e.get("field") for e in errors), response.text


@pytest.mark.parametrize(
    "name",
    [
        "🎉🥐🎉",
        "مخبز الأصالة",
        "מאפיית השכונה",
        "東京ベーカリー",
        "<script>alert(1)</script>",
        "'; DROP TABLE project; --",
    ],
)
async def test_odd_but_valid_names_are_accepted(api: httpx.AsyncClient, name: str) -> None:
    response = await api.post(PROJECTS, json=order_body(name=f"{name} {uuid.uuid4().hex[:6]}"))
    assert response.status_code == 201, response.text
    project = response.json()
    assert project["name"].startswith(name)
    assert project["slug"].isascii()
    fetched = await api.get(f"{PROJECTS}/{project['id']}")
    assert fetched.json()["name"] == project["name"]


RAW_BODIES = [
    b"{not json",
    b"",
    b"\xff\xfe\x00garbage",
    b'{"name": "\\ud800"}',  # a lone surrogate: valid JSON, not storable text
    b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than any parser recursion
    b'{"a": 1e400}',
    b"null",
]


@pytest.mark.parametrize("raw", RAW_BODIES, ids=range(len(RAW_BODIES)))
async def test_raw_bodies_never_500(api: httpx.AsyncClient, raw: bytes) -> None:
    headers = {"content-type": "application/json"}
    response = await api.post(PROJECTS, content=raw, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    project = (await api.post(PROJECTS, json=order_body())).json()
    response = await api.post(
        f"{PROJECTS}/{project['id']}/onboarding", content=raw, headers=headers
    )
    assert 400 <= response.status_code < 500, response.text


async def test_lone_surrogate_inside_a_valid_body(api: httpx.AsyncClient) -> None:
    body = json.dumps(order_body(name="Cafe SURROGATE")).replace("SURROGATE", "\\udc80")
    response = await api.post(
        PROJECTS, content=body.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["name"]


async def test_nul_in_onboarding_names_the_field(api: httpx.AsyncClient) -> None:
    project = (await api.post(PROJECTS, json=order_body())).json()
    form = unique_onboarding("harbour-physio")
    form["services"][1]["description"] = "Deep\x00tissue"
    response = await api.post(f"{PROJECTS}/{project['id']}/onboarding", json=form)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["services.1.description"]
    response = await api.post(PROJECTS, json=order_body(form))
    assert [e["field"] for e in response.json()["errors"]] == ["onboarding.services.1.description"]


NASTY_FORMS: list[Any] = [
    {"business": None},
    {"services": [None, None]},
    {"services": "not a list"},
    {"style": {"primary_color": ["#fff"]}},
    {"subdomain": None},
    {"subdomain": 12345},
    {"pages": [None]},
    {"assets": [{"kind": "logo", "url": None, "storage_key": None, "alt": None}]},
    {"faq": [{"question": HUGE, "answer": "Yes."}]},  # (two would be over the body limit: 413)
    {"locale": {"nested": None}},
]


@pytest.mark.parametrize("change", NASTY_FORMS, ids=range(len(NASTY_FORMS)))
async def test_nasty_onboarding_forms_are_422(api: httpx.AsyncClient, change: Any) -> None:
    project = (await api.post(PROJECTS, json=order_body())).json()
    form = {**unique_onboarding("harbour-physio"), **change}
    response = await api.post(f"{PROJECTS}/{project['id']}/onboarding", json=form)
    assert response.status_code == 422, response.text
    assert HUGE not in response.text


async def test_wrong_methods_and_paths(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/v1/nowhere")).status_code == 404
    assert (await api.delete(f"{PROJECTS}/{uuid.uuid4()}")).status_code == 405
    assert (await api.put("/api/v1/templates")).status_code == 405


async def test_openapi_lists_every_route_with_schemas(api: httpx.AsyncClient) -> None:
    response = await api.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    expected = {
        ("/api/v1/projects", "post"): ("ProjectCreate", "201", "ProjectPublic"),
        ("/api/v1/projects/{project_id}", "get"): (None, "200", "ProjectPublic"),
        ("/api/v1/projects/{project_id}/onboarding", "post"): (
            "Onboarding",
            "201",
            "OnboardingAccepted",
        ),
        ("/api/v1/projects/{project_id}/pipeline", "get"): (None, "200", "PipelineStepPublic"),
        ("/api/v1/projects/{project_id}/generate", "post"): (None, "202", "GenerationStarted"),
        ("/api/v1/projects", "get"): (None, "200", "ProjectPublic"),
        ("/api/v1/projects/{project_id}/revisions", "post"): (
            "RevisionCreate",
            "202",
            "RevisionQueued",
        ),
        ("/api/v1/projects/{project_id}/revisions", "get"): (None, "200", "RevisionPublic"),
        ("/api/v1/projects/{project_id}/revisions/{revision_id}", "get"): (
            None,
            "200",
            "RevisionPublic",
        ),
        ("/api/v1/projects/{project_id}/versions", "get"): (None, "200", "VersionPublic"),
        ("/api/v1/projects/{project_id}/builds", "get"): (None, "200", "BuildReportPublic"),
        ("/api/v1/projects/{project_id}/costs", "get"): (None, "200", "ProjectCosts"),
        ("/api/v1/analytics", "get"): (None, "200", "Analytics"),
        ("/metrics", "get"): (None, "200", "text/plain"),
        ("/api/v1/projects/{project_id}/budget", "put"): ("BudgetChange", "200", "ProjectCosts"),
        ("/api/v1/projects/{project_id}/rollback", "post"): (
            "RollbackCreate",
            "202",
            "RollbackQueued",
        ),
        ("/api/v1/projects/{project_id}/approve", "post"): (
            "ApprovalCreate",
            "202",
            "ApprovalPublic",
        ),
        ("/api/v1/projects/{project_id}/cancel", "post"): ("CancelCreate", "202", "CancelPublic"),
        ("/api/v1/projects/{project_id}/plan", "get"): (None, "200", "PlanPublic"),
        ("/api/v1/projects/{project_id}/plan/approve", "post"): (
            "PlanApprovalCreate",
            "200",
            "PlanDecision",
        ),
        ("/api/v1/projects/{project_id}/plan/revisions", "post"): (
            "PlanRevisionCreate",
            "200",
            "PlanDecision",
        ),
        ("/api/v1/projects/{project_id}/steps/{step_key}/{action}", "post"): (
            None,
            "200",
            "DecisionPublic",
        ),
        ("/api/v1/templates", "get"): (None, "200", "TemplatePublic"),
        ("/api/v1/personas", "get"): (None, "200", "PersonaOut"),
        ("/api/v1/personas", "post"): ("PersonaIn", "201", "PersonaOut"),
        ("/api/v1/personas/{persona_id}", "get"): (None, "200", "PersonaOut"),
        ("/api/v1/personas/{persona_id}", "patch"): ("PersonaPatch", "200", "PersonaOut"),
        ("/api/v1/provider-configs", "get"): (None, "200", "ProviderConfigOut"),
        ("/api/v1/provider-configs", "post"): ("ProviderConfigIn", "201", "ProviderConfigOut"),
        ("/api/v1/provider-configs/{config_id}", "get"): (None, "200", "ProviderConfigOut"),
        ("/api/v1/provider-configs/{config_id}", "patch"): (
            "ProviderConfigPatch",
            "200",
            "ProviderConfigOut",
        ),
        ("/api/v1/provider-configs/{config_id}", "delete"): (None, "204", None),
        ("/api/v1/templates/{template_id}/personas", "get"): (None, "200", "OverrideOut"),
        ("/api/v1/templates/{template_id}/personas/{step}", "put"): (
            "OverrideIn",
            "200",
            "OverrideOut",
        ),
        ("/api/v1/templates/{template_id}/personas/{step}", "delete"): (None, "204", None),
        ("/api/v1/projects/{project_id}/personas", "get"): (None, "200", "EffectivePersona"),
        ("/api/v1/projects/{project_id}/personas/{step}", "put"): (
            "OverrideIn",
            "200",
            "OverrideOut",
        ),
        ("/api/v1/projects/{project_id}/personas/{step}", "delete"): (None, "204", None),
        ("/api/v1/webhooks/stripe", "post"): (None, "200", "StripeReceived"),
        ("/api/v1/projects/{project_id}/assets", "post"): (None, "201", "UploadedAsset"),
        ("/api/v1/onboarding/{token}", "get"): (None, "200", "LinkProject"),
        ("/api/v1/onboarding/{token}", "post"): (None, "201", "LinkSubmitted"),
        ("/api/v1/onboarding/{token}/account", "post"): ("LinkAccountIn", "201", "TokensOut"),
        ("/api/v1/projects/{project_id}/pipeline/{step_key}/logs", "get"): (
            None,
            "200",
            "StepLogs",
        ),
        ("/healthz", "get"): (None, "200", "Health"),
        ("/api/v1/projects/{project_id}/events", "get"): (None, "200", "text/event-stream"),
        ("/api/v1/auth/login", "post"): ("LoginIn", "200", "TokensOut"),
        ("/api/v1/auth/refresh", "post"): ("RefreshIn", "200", "TokensOut"),
        ("/api/v1/auth/logout", "post"): ("RefreshIn", "204", None),
        ("/api/v1/auth/me", "get"): (None, "200", "Me"),
        ("/api/v1/users", "post"): ("UserIn", "201", "UserOut"),
        ("/api/v1/users", "get"): (None, "200", "UserOut"),
        ("/api/v1/users/{user_id}/disable", "post"): (None, "200", "UserOut"),
        ("/api/v1/api-keys", "post"): ("ApiKeyIn", "201", "ApiKeyCreated"),
        ("/api/v1/api-keys", "get"): (None, "200", "ApiKeyOut"),
        ("/api/v1/api-keys/{key_id}", "delete"): (None, "204", None),
        ("/api/v1/workers", "get"): (None, "200", "WorkersPublic"),
        ("/api/v1/cleanup-runs", "get"): (None, "200", "CleanupRunPublic"),
        ("/api/v1/projects/{project_id}/conversation", "get"): (
            None,
            "200",
            "ConversationPublic",
        ),
        ("/api/v1/projects/{project_id}/conversation/messages", "post"): (
            "MessageIn",
            "200",
            "text/event-stream",
        ),
        ("/api/v1/projects/{project_id}/conversation/confirm", "post"): (
            "ConfirmIn",
            "200",
            "ConfirmOut",
        ),
        ("/api/v1/projects/{project_id}/design", "get"): (None, "200", "DesignPublic"),
        ("/api/v1/projects/{project_id}/design/style-guide", "get"): (None, "200", "text/html"),
        ("/api/v1/projects/{project_id}/design/wireframe", "get"): (None, "200", "text/html"),
        ("/api/v1/projects/{project_id}/history", "get"): (None, "200", "HistoryEntry"),
        ("/api/v1/projects/{project_id}/history/{version}", "get"): (None, "200", "HistoryEntry"),
        ("/api/v1/projects/{project_id}/history/{version}/revert", "post"): (
            "RevertCreate",
            "202",
            "RevertAccepted",
        ),
    }
    listed = {(path, method) for path, ops in paths.items() for method in ops}
    assert listed == set(expected)
    for (path, method), (request, status, reply) in expected.items():
        operation = paths[path][method]
        if request:
            body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
            assert body_schema["$ref"].endswith(f"/{request}")
        assert status in operation["responses"], (path, method)
        if reply:
            assert reply in json.dumps(operation["responses"][status]), (path, method)
    schemas = spec["components"]["schemas"]
    onboarding = schemas["Onboarding"]["properties"]
    assert {"business", "services", "style", "subdomain", "locale"} <= set(onboarding)
    assert schemas["ProjectCreate"]["properties"]["slug"]
    assert (await api.get("/docs")).status_code == 200


async def test_a_body_over_the_limit_is_413_before_any_route_reads_it(
    api: httpx.AsyncClient,
) -> None:
    body = order_body(name="x" * 2_100_000)
    response = await api.post(PROJECTS, json=body)
    assert response.status_code == 413, response.text[:200]
    assert "bytes" in response.json()["detail"]


@pytest.mark.parametrize("path", [PROJECTS, "/api/v1/webhooks/stripe"])
async def test_json_nested_too_deep_is_422_naming_the_body(
    api: httpx.AsyncClient, path: str
) -> None:
    deep = "[" * 200 + "]" * 200
    body = f'{{"customer": {deep}}}'
    response = await api.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body"


def test_depth_counts_structure_not_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'{"a": "[[[[[[[[[[{{{{{{{{\\"]]]]"}') == 1
    assert json_depth(b"[]") == 1 and json_depth(b'"x"') == 0
