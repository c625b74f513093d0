"""Plan sign-off from the portal: the client sees the planned pages, and nothing else to
approve, until the plan is signed off; then the build goes on to the preview."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from sitegen.auth.cookies import ACCESS_COOKIE, REFRESH_COOKIE
from sitegen.onboarding_links import make_token
from sitegen.settings import Settings
from tests.conftest import app_client, order_body, unique_onboarding, wait_for
from tests.pipeline.helpers import wait_status


@pytest.mark.usefixtures("worker")
async def test_the_client_signs_off_the_plan_in_the_portal(
    settings: Settings, api: httpx.AsyncClient
) -> None:
    body = order_body(unique_onboarding("ironbark-software"), start_generation=True)
    made = await api.post("/api/v1/projects", json={**body, "plan_approval": True})
    assert made.status_code == 201, made.text
    created: dict[str, Any] = made.json()
    url = f"/api/v1/projects/{created['id']}"

    async def awaiting() -> bool:
        return bool((await api.get(url)).json()["waiting_for"] == "plan approval")

    await wait_for(awaiting, 30)
    token = make_token(settings, uuid.UUID(created["id"]))
    account = await api.post(
        f"/api/v1/onboarding/{token}/account",
        json={"email": body["customer"]["email"], "password": "a long password!"},
        headers={"Authorization": ""},
    )
    pair: dict[str, Any] = account.json()
    async with app_client(settings, headers={}) as browser:
        browser.cookies.set(ACCESS_COOKIE, pair["access_token"])
        browser.cookies.set(REFRESH_COOKIE, pair["refresh_token"])
        # The form was sent with the order: the link leads to the project's page.
        form = await browser.get(f"/portal/start/{token}/form")
        assert form.status_code == 303
        assert form.headers["location"] == f"/portal/projects/{created['id']}"
        page = await browser.get(f"/portal/projects/{created['id']}")
        assert page.status_code == 200
        assert "Approve the plan" in page.text and "Approve and publish" not in page.text
        assert "revision-message" not in page.text  # no preview to change yet
        # The plan links the wireframe and style guide it comes with; the client's own
        # browser opens them with the portal's sign-in.
        guide = f"/api/v1/projects/{created['id']}/design/style-guide"
        assert "data-design-links" in page.text and guide in page.text
        opened = await browser.get(guide)
        assert opened.status_code == 200 and "Contrast" in opened.text
        csrf = browser.cookies["sitegen_csrf"]
        nameless = await browser.post(
            f"/portal/projects/{created['id']}/plan/approve", data={"csrf": csrf, "name": ""}
        )
        assert nameless.status_code == 422 and "approved_by" in nameless.text
        signed = await browser.post(
            f"/portal/projects/{created['id']}/plan/approve", data={"csrf": csrf, "name": "Ana"}
        )
        assert signed.status_code == 303 and signed.headers["location"].endswith("notice=plan")
        await wait_status(api, created["id"], ("preview_ready",))
        after = await browser.get(f"/portal/projects/{created['id']}")
        assert "Approve the plan" not in after.text and "Approve and publish" in after.text
        assert "--v1." in after.text and "_design/wireframe.html" in after.text
