"""Tenant isolation: every route walked as a client of customer A against customer B's
project, and as nobody; and Postgres itself keeping a query that forgets its filter inside
its tenant (the policies of migration 0005, the role the API connects as)."""

from __future__ import annotations

import io
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from PIL import Image
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel, select

from sitegen.api.app import create_app
from sitegen.api.client_view import revision_source, signed_name
from sitegen.api.principal import Principal
from sitegen.auth.cookies import ACCESS_COOKIE
from sitegen.contracts.status import RevisionSource
from sitegen.db import tenancy
from sitegen.db.engine import make_engine, make_sessionmaker
from sitegen.db.tables import (
    Customer,
    CustomerOrder,
    PipelineStep,
    Project,
    RevisionRequest,
    UserRole,
)
from sitegen.settings import Settings
from tests.api.accounts_support import Tenant, make_user, tenant, unknown
from tests.conftest import ADMIN_HEADERS, TEST_ADMIN_KEY, app_client, unique_onboarding

# Routes anyone may call: each carries its own proof, or none is needed.
PUBLIC = {
    "/healthz",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/api/v1/webhooks/stripe",
    "/api/v1/onboarding/{token}",
    "/api/v1/onboarding/{token}/account",
}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _request(path: str, method: str) -> dict[str, Any]:
    """A request the route would accept from its owner: so a refusal is about who asks."""
    bodies: dict[tuple[str, str], Any] = {
        ("/projects", "post"): {"customer": {"name": "X", "email": "x@example.com"}},
        ("/projects/{project_id}/onboarding", "post"): unique_onboarding("harbour-physio"),
        ("/projects/{project_id}/revisions", "post"): {"message": "Make the header blue"},
        ("/projects/{project_id}/rollback", "post"): {"version": 1},
        ("/projects/{project_id}/approve", "post"): {"approved_by": "Ana"},
        ("/projects/{project_id}/cancel", "post"): {"reason": "no longer needed"},
        ("/projects/{project_id}/plan/approve", "post"): {"approved_by": "Ana"},
        ("/projects/{project_id}/plan/revisions", "post"): {"message": "Add a prices page"},
        ("/projects/{project_id}/budget", "put"): {"ai_budget_usd": "5"},
        ("/users", "post"): {"email": "z@example.com", "password": "x" * 12, "role": "client"},
        ("/api-keys", "post"): {"name": "k"},
        # Refused on its own project (422; a real message would wait for a worker), and a
        # 404 on another's before the body is read.
        ("/projects/{project_id}/conversation/messages", "post"): {"text": ""},
        ("/projects/{project_id}/conversation/confirm", "post"): {},
        ("/projects/{project_id}/history/{version}/revert", "post"): {},
    }
    short = path.removeprefix("/api/v1")
    if short == "/projects/{project_id}/events":
        return {"params": {"follow": "false"}}  # what is there, not a stream left open
    if short == "/projects/{project_id}/assets":
        return {"files": {"file": ("a.png", _png(), "image/png")}}
    body = bodies.get((short, method))
    return {"json": body} if body is not None else {}


def _url(path: str, project_id: str) -> str:
    return path.format(
        project_id=project_id,
        revision_id=unknown(),
        step_key="brief",
        action="retry",
        user_id=unknown(),
        key_id=unknown(),
        persona_id=unknown(),
        config_id=unknown(),
        template_id="landing",
        step="brief",
        version=1,
    )


async def _routes(api: httpx.AsyncClient) -> list[tuple[str, str]]:
    paths = (await api.get("/openapi.json")).json()["paths"]
    return [(p, m) for p, ops in paths.items() for m in ops if p not in PUBLIC]


async def test_nobody_reaches_any_route_that_needs_sign_in(api: httpx.AsyncClient) -> None:
    routes = await _routes(api)
    assert len(routes) > 25
    project = unknown()
    for path, method in routes:
        response = await api.request(
            method, _url(path, project), headers={"Authorization": ""}, **_request(path, method)
        )
        assert response.status_code == 401, (method, path, response.text)


async def test_a_client_reaches_nothing_of_another_customer(api: httpx.AsyncClient) -> None:
    """For each route: the same request as A's client on A's project, then on B's. Where A
    may act on its own, B's is a 404 (never a 403 that says it exists); where only the agency
    may act, both are a 403."""
    a, b = await tenant(api), await tenant(api)
    own_id, foreign_id = a.project["id"], b.project["id"]
    for path, method in await _routes(api):
        mine = await api.request(
            method, _url(path, own_id), headers=a.headers, **_request(path, method)
        )
        theirs = await api.request(
            method, _url(path, foreign_id), headers=a.headers, **_request(path, method)
        )
        where = (method, path, mine.status_code, theirs.text[:200])
        assert mine.status_code < 500 and theirs.status_code < 500, where
        if mine.status_code == 403:
            assert theirs.status_code == 403, where
        elif "{project_id}" in path:
            # On its own project a 404 may only be about what is inside it (a revision, a
            # history entry the fresh project does not have yet), never the project itself.
            assert mine.status_code != 404 or mine.json()["detail"] != "project not found", where
            assert theirs.status_code == 404, where
        else:
            assert foreign_id not in theirs.text, where
    # The list is the customer's own, and a slug of another customer's finds nothing.
    listed = (await api.get("/api/v1/projects", headers=a.headers)).json()
    assert {p["customer_id"] for p in listed} == {a.project["customer_id"]}
    by_slug = await api.get(
        "/api/v1/projects", params={"slug": b.project["slug"]}, headers=a.headers
    )
    assert by_slug.json() == []
    # B's client was not harmed: its project is as it was, and still its own.
    assert (await api.get(f"/api/v1/projects/{foreign_id}", headers=b.headers)).status_code == 200


async def _scoped_rows(database_url: str, scope: tenancy.Scope | None) -> dict[str, set[Any]]:
    engine = make_engine(tenancy.app_role_url(database_url), pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            if scope is not None:
                tenancy.bind(session, scope)
            # No WHERE anywhere: only the policies decide what comes back.
            return {
                "customers": {c.id for c in (await session.exec(select(Customer))).all()},
                "orders": {o.customer_id for o in (await session.exec(select(CustomerOrder)))},
                "projects": {p.customer_id for p in (await session.exec(select(Project))).all()},
                "steps": {s.project_id for s in (await session.exec(select(PipelineStep))).all()},
            }
    finally:
        await engine.dispose()


async def test_a_query_without_a_filter_sees_only_its_tenant(
    api: httpx.AsyncClient, database_url: str
) -> None:
    a, b = await tenant(api), await tenant(api)
    customer_a = uuid.UUID(a.project["customer_id"])
    customer_b = uuid.UUID(b.project["customer_id"])
    mine = await _scoped_rows(database_url, tenancy.customer(customer_a))
    assert mine["customers"] == {customer_a}
    assert mine["orders"] == {customer_a}
    assert mine["projects"] == {customer_a}
    assert mine["steps"] <= {uuid.UUID(a.project["id"])}
    # Given no scope at all, the API's role sees no tenant's rows.
    assert all(not rows for rows in (await _scoped_rows(database_url, None)).values())
    # The agency sees both.
    agency = await _scoped_rows(database_url, tenancy.AGENCY)
    assert {customer_a, customer_b} <= agency["projects"]


async def test_a_client_cannot_write_into_another_customers_project(
    api: httpx.AsyncClient, database_url: str
) -> None:
    a, b = await tenant(api), await tenant(api)
    engine = make_engine(tenancy.app_role_url(database_url), pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            tenancy.bind(session, tenancy.customer(uuid.UUID(a.project["customer_id"])))
            session.add(
                RevisionRequest(
                    project_id=uuid.UUID(b.project["id"]),
                    message="hijack",
                    source=RevisionSource.CLIENT,
                )
            )
            with pytest.raises(DBAPIError, match="row-level security"):
                await session.commit()
    finally:
        await engine.dispose()


async def test_the_api_refuses_to_serve_as_a_role_that_bypasses_tenancy(
    settings: Settings, database_url: str
) -> None:
    owner = settings.model_copy(update={"api_database_url": settings.database_url})
    app = create_app(owner)
    with pytest.raises(tenancy.RoleBypassesTenancy):
        async with app.router.lifespan_context(app):
            pass


async def test_the_codec_wants_an_operator(settings: Settings) -> None:
    body: dict[str, list[Any]] = {"payloads": []}
    async with app_client(settings, headers={}) as api:
        anonymous = await api.post("/api/v1/codec/decode", json=body)
        assert anonymous.status_code == 401
        api.headers.update(ADMIN_HEADERS)  # the agency makes the client
        a: Tenant = await tenant(api)
        client = await api.post("/api/v1/codec/decode", json=body, headers=a.headers)
        assert client.status_code == 403
        agency = await api.post("/api/v1/codec/decode", json=body)
        assert agency.status_code == 200, agency.text
        # Signed in to the console (its cookie), as the Temporal UI sends it on the same site.
        operator = (await make_user(api, "operator"))["Authorization"].split()[1]
    async with app_client(settings, headers={}) as browser:
        browser.cookies.set(ACCESS_COOKIE, a.headers["Authorization"].split()[1])
        assert (await browser.post("/api/v1/codec/decode", json=body)).status_code == 403
        browser.cookies.set(ACCESS_COOKIE, operator)
        assert (await browser.post("/api/v1/codec/decode", json=body)).status_code == 200
        browser.cookies.set(ACCESS_COOKIE, TEST_ADMIN_KEY)  # a key is never a cookie
        assert (await browser.post("/api/v1/codec/decode", json=body)).status_code == 401


@pytest.mark.parametrize(
    ("client", "headers", "open_"),
    [
        (("127.0.0.1", 5000), {}, True),
        (("127.0.0.1", 5000), {"X-Forwarded-For": "203.0.113.9"}, False),
        (("127.0.0.1", 5000), {"Forwarded": "for=203.0.113.9"}, False),
        (("203.0.113.9", 5000), {}, False),
    ],
)
async def test_the_laptops_codec_answers_only_its_own_machine(
    settings: Settings, client: tuple[str, int], headers: dict[str, str], open_: bool
) -> None:
    """`sitegen dev` opens the codec to the dev server's UI; a proxy in front, or a caller
    from elsewhere, still has to sign in."""
    laptop = settings.model_copy(update={"codec_open_on_loopback": True})
    async with app_client(laptop, client=client, headers={}) as api:
        answer = await api.post("/api/v1/codec/decode", json={"payloads": []}, headers=headers)
        assert answer.status_code == (200 if open_ else 401), answer.text


def test_every_table_with_a_tenants_rows_is_checked() -> None:
    """A new table that hangs off a customer or a project must get a policy (and join
    TENANT_TABLES, which the API checks): forgetting it fails here."""
    holding = {
        table.name
        for table in SQLModel.metadata.tables.values()
        if {"project_id", "customer_id"} & set(table.columns.keys()) or table.name == "customer"
    }
    # A user names a customer but is read before any tenant is known (see tables_auth.py).
    assert holding - {"app_user"} == set(tenancy.TENANT_TABLES)


async def test_a_role_that_inherits_the_owners_rights_is_refused(database_url: str) -> None:
    """Checked on every new connection, not only at start-up: a member of the owner's role
    escapes row-level security as surely as the owner."""
    owner = make_url(database_url)
    member = f"escape_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(owner.set(drivername="postgresql").render_as_string(False))
    try:
        await admin.execute(f"CREATE ROLE {member} LOGIN IN ROLE {owner.username}")
        engine = make_engine(owner.set(username=member).render_as_string(False), pool_size=1)
        tenancy.guard_connections(engine)
        try:
            with pytest.raises(tenancy.RoleBypassesTenancy):
                async with engine.connect():
                    pass
        finally:
            await engine.dispose()
        # The API's own role passes the same check.
        app_engine = make_engine(tenancy.app_role_url(database_url), pool_size=1)
        tenancy.guard_connections(app_engine)
        try:
            async with app_engine.connect():
                pass
        finally:
            await app_engine.dispose()
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {member}")
        await admin.close()


async def test_migrate_gives_the_api_role_the_password_its_url_names(database_url: str) -> None:
    from sitegen.db.migrate import set_app_role_password

    password = "it's; DROP ROLE x; --"  # quoted by the server, never spliced as SQL
    api_url = make_url(tenancy.app_role_url(database_url)).set(password=password)
    admin = await asyncpg.connect(
        make_url(database_url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        await set_app_role_password(database_url, api_url.render_as_string(False))
        stored = await admin.fetchval(
            "SELECT rolpassword FROM pg_authid WHERE rolname = $1", tenancy.APP_ROLE
        )
        assert stored is not None and stored.startswith("SCRAM-SHA-256$")
    finally:
        # The session's other tests connect without one (the test server trusts them).
        await admin.execute(f"ALTER ROLE {tenancy.APP_ROLE} PASSWORD NULL")
        await admin.close()


async def test_a_client_sees_its_project_not_the_agencys_workings(
    api: httpx.AsyncClient,
) -> None:
    a = await tenant(api)
    project_url = f"/api/v1/projects/{a.project['id']}"
    agency = (await api.get(project_url)).json()
    assert agency["workflow_id"]
    mine = (await api.get(project_url, headers=a.headers)).json()
    assert mine["status"] == agency["status"] and mine["name"] == agency["name"]
    assert (mine["workflow_id"], mine["ai_budget_usd"], mine["repo_url"]) == (None, None, None)
    listed = (await api.get("/api/v1/projects", headers=a.headers)).json()
    assert listed[0]["workflow_id"] is None
    builds = await api.get(f"{project_url}/builds", headers=a.headers)
    assert builds.status_code == 403


def test_what_a_client_decides_is_recorded_as_a_clients() -> None:
    client = Principal("user", uuid.uuid4(), UserRole.CLIENT, uuid.uuid4())
    operator = Principal("api_key", uuid.uuid4(), UserRole.OPERATOR, None)
    assert signed_name(client, "Olu, operator") == "Olu, operator (client)"
    assert signed_name(operator, "Olu") == "Olu"
    assert revision_source(client, RevisionSource.HUMAN) == RevisionSource.CLIENT
    assert revision_source(operator, RevisionSource.HUMAN) == RevisionSource.HUMAN
