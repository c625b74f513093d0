"""The template catalogue and health, including Temporal being down."""

from __future__ import annotations

import httpx

from sitegen.api.app import create_app
from sitegen.settings import REPO_ROOT, Settings
from sitegen.stack.process import free_port
from sitegen.templates_registry import load_template
from tests.api.support import PROJECTS, create
from tests.conftest import ADMIN_HEADERS, unique_onboarding

# --- GET /templates, /healthz --------------------------------------------------------------


async def test_templates(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/templates")
    assert response.status_code == 200, response.text
    templates = {t["id"]: t for t in response.json()}
    manifest = load_template(REPO_ROOT / "templates", "landing")
    landing = templates["landing"]
    assert landing["name"] == manifest.name
    assert landing["pages"] == manifest.page_ids
    assert landing["sections"] == [s.id for s in manifest.sections]
    assert {"home", "contact"} <= set(landing["pages"])


async def test_healthz(api: httpx.AsyncClient) -> None:
    response = await api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "temporal": "ok"}


async def test_temporal_down_degrades_without_500(settings: Settings) -> None:
    """Reads keep working; health says which part is down; generate says try again."""
    down = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    app = create_app(down)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=ADMIN_HEADERS
        ) as api,
    ):
        health = await api.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "degraded", "database": "ok", "temporal": "unavailable"}
        project = await create(api, onboarding=unique_onboarding("harbour-physio"))
        assert (await api.get(f"{PROJECTS}/{project['id']}")).status_code == 200
        generate = await api.post(f"{PROJECTS}/{project['id']}/generate")
        assert generate.status_code == 503
        assert "Temporal" in generate.json()["detail"]
