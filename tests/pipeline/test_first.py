from __future__ import annotations

import httpx

from tests.conftest import order_body, unique_onboarding, wait_for


async def test_smoke(api: httpx.AsyncClient, worker: None) -> None:
    body = order_body(unique_onboarding("harbour-physio"), start_generation=True)
    created = await api.post("/api/v1/projects", json=body)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]

    async def ready() -> dict | None:
        p = (await api.get(f"/api/v1/projects/{pid}")).json()
        return p if p["status"] in ("preview_ready", "needs_attention") else None

    project = await wait_for(ready, 60)
    steps = (await api.get(f"/api/v1/projects/{pid}/pipeline")).json()
    for s in steps:
        print(s["step_key"], s["status"], s["duration_seconds"], s["error_message"])
    print(project)
    assert project["status"] == "preview_ready"
