"""Helpers the API tests share."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import order_body

PROJECTS = "/api/v1/projects"


def tag() -> str:
    return uuid.uuid4().hex[:8]


def errors_by_field(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] == "invalid input"
    return {e["field"]: e["reason"] for e in body["errors"]}


async def create(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    onboarding = overrides.pop("onboarding", None)
    response = await api.post(PROJECTS, json=order_body(onboarding, **overrides))
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()
    return project
