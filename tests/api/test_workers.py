"""GET /api/v1/workers: Temporal's own view of who polls the deployment's task queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.accounts_support import make_user, tenant
from tests.conftest import wait_for

OPERATOR_ROUTES = ("/api/v1/workers", "/api/v1/cleanup-runs")


async def test_the_tests_worker_is_listed(
    api: httpx.AsyncClient, worker: None, settings: Any
) -> None:
    async def listed() -> dict[str, Any] | None:
        response = await api.get("/api/v1/workers")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["task_queues"] == [settings.task_queue]
        mine = [w for w in body["workers"] if w["task_queue"] == settings.task_queue]
        if mine and {"workflow", "activity"} <= set(mine[0]["task_types"]):
            return mine[0]
        return None

    found = await wait_for(listed, 30)
    assert found["identity"]
    seen = datetime.fromisoformat(found["last_access_time"])
    assert datetime.now(UTC) - seen < timedelta(minutes=2)


async def test_no_worker_is_an_empty_list(api: httpx.AsyncClient, settings: Any) -> None:
    body = (await api.get("/api/v1/workers")).json()
    assert body == {"task_queues": [settings.task_queue], "workers": []}


async def test_operator_routes_refuse_clients(api: httpx.AsyncClient) -> None:
    client = await tenant(api)
    operator = await make_user(api, "operator")
    for path in OPERATOR_ROUTES:
        assert (await api.get(path, headers={"Authorization": ""})).status_code == 401, path
        refused = await api.get(path, headers=client.headers)
        assert refused.status_code == 403, (path, refused.text)
        assert (await api.get(path, headers=operator)).status_code == 200, path
