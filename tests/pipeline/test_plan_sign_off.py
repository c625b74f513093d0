"""Plan sign-off: an order that asks for it pauses after the brief and sitemap until the
client approves them, changing the plan as often as they like first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from temporalio.client import Client

from sitegen.settings import Settings
from tests.conftest import unique_onboarding, wait_for
from tests.pipeline.helpers import (
    PreviewSite,
    keep_history,
    notifications,
    order_site,
    wait_status,
)

pytestmark = pytest.mark.usefixtures("worker")


async def test_the_plan_is_signed_off_before_any_page_is_written(
    api: httpx.AsyncClient, settings: Settings, sessions: Any, temporal: Client
) -> None:
    created = await order_site(api, unique_onboarding("ironbark-software"), plan_approval=True)
    url = f"/api/v1/projects/{created['id']}"
    assert created["plan_approval"] is True

    async def awaiting() -> dict[str, Any] | None:
        project: dict[str, Any] = (await api.get(url)).json()
        return project if project["waiting_for"] == "plan approval" else None

    project = await wait_for(awaiting, 30)
    assert project["status"] == "in_review"
    plan = (await api.get(f"{url}/plan")).json()
    assert plan["status"] == "awaiting_approval" and plan["version"] == 1
    assert plan["brief_markdown"].startswith("#")
    assert [p["id"] for p in plan["pages"]] == ["home", "services", "contact"]
    steps = {s["step_key"]: s for s in (await api.get(f"{url}/pipeline")).json()}
    assert steps["generate_content"]["status"] == "queued"  # nothing written yet
    revision = await api.post(f"{url}/revisions", json={"message": "Change the colour to red"})
    assert revision.status_code == 422  # no preview to revise yet: the plan comes first

    refused = await api.post(
        f"{url}/plan/revisions", json={"message": 'Change the headline to "Hello"'}
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["approved"] is False and "preview" in refused.json()["reason"]
    changed = await api.post(
        f"{url}/plan/revisions",
        json={"message": "Add the about page and the FAQ page", "requested_by": "Ana"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["reason"] is None and changed.json()["plan_version"] == 2
    plan = (await api.get(f"{url}/plan")).json()
    assert plan["version"] == 2 and plan["status"] == "awaiting_approval"
    assert [p["id"] for p in plan["pages"]] == ["home", "about", "services", "faq", "contact"]

    approved = await api.post(f"{url}/plan/approve", json={"approved_by": "Ana"})
    assert approved.status_code == 200 and approved.json()["approved"] is True
    again = await api.post(f"{url}/plan/approve", json={"approved_by": "Ana"})
    assert again.status_code == 409  # signed off already: the pages are being written

    project = await wait_status(api, created["id"], ("preview_ready",))
    assert project["waiting_for"] == "review"
    site = PreviewSite(settings.sites_root, project["preview_url"])
    try:
        pages = await site.crawl()  # the site follows the revised plan
        assert {"/about.html", "/faq.html", "/services.html", "/contact.html"} <= set(pages)
    finally:
        await site.aclose()
    assert (await api.get(f"{url}/plan")).json()["status"] == "approved"
    steps = {s["step_key"]: s for s in (await api.get(f"{url}/pipeline")).json()}
    assert steps["revise_plan"]["status"] == "success"
    assert steps["generate_content"]["status"] == "success"
    kinds = [n.kind for n in await notifications(sessions, created["id"])]
    assert kinds.count("plan_ready") == 1 and kinds.count("preview_ready") == 2
    await temporal.get_workflow_handle(created["workflow_id"]).signal("cancel", {"reason": "x"})
    await wait_status(api, created["id"], ("cancelled",))
    await keep_history(temporal, created["workflow_id"], "life_plan_sign_off")


async def test_without_sign_off_the_plan_is_not_requested(api: httpx.AsyncClient) -> None:
    created = await order_site(api, unique_onboarding("harbour-physio"))
    await wait_status(api, created["id"])
    plan = (await api.get(f"/api/v1/projects/{created['id']}/plan")).json()
    assert plan["status"] == "not_requested"
    refused = await api.post(
        f"/api/v1/projects/{created['id']}/plan/approve", json={"approved_by": "Ana"}
    )
    assert refused.status_code == 409
