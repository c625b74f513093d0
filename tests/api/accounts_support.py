"""Two customers, each with a project and a client user, for the tests of who sees what."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.api.support import create, tag

PASSWORD = "correct horse battery staple"


@dataclass
class Tenant:
    project: dict[str, Any]
    email: str
    headers: dict[str, str]
    refresh_token: str


async def login(api: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await api.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_client(api: httpx.AsyncClient, customer_id: str) -> str:
    email = f"client-{tag()}@example.com"
    made = await api.post(
        "/api/v1/users",
        json={"email": email, "password": PASSWORD, "role": "client", "customer_id": customer_id},
    )
    assert made.status_code == 201, made.text
    return email


async def tenant(api: httpx.AsyncClient, **project: Any) -> Tenant:
    """A customer's project (made by the agency) and a signed-in client of that customer."""
    made = await create(api, **project)
    email = await make_client(api, made["customer_id"])
    tokens = await login(api, email)
    return Tenant(made, email, bearer(tokens["access_token"]), tokens["refresh_token"])


async def make_user(api: httpx.AsyncClient, role: str) -> dict[str, str]:
    email = f"{role}-{tag()}@example.com"
    made = await api.post(
        "/api/v1/users", json={"email": email, "password": PASSWORD, "role": role}
    )
    assert made.status_code == 201, made.text
    return bearer((await login(api, email))["access_token"])


def unknown() -> str:
    return str(uuid.uuid4())
