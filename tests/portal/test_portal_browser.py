"""The portal and console driven as a person would, in headless Chromium: a client signs in
through the link, fills in the form with a mistake and corrects it, watches the progress
reach the preview, asks for a change and sees it applied, and approves; an operator finds a
failed step in the queue and retries it. axe-core checks every screen on the way."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image

from sitegen.integrations.hosting.server import make_static_host_app
from sitegen.onboarding_links import make_token
from sitegen.settings import Settings
from tests.conftest import (
    example,
    order_body,
    served,
    served_api,
    unique_onboarding,
    wait_for,
)
from tests.pipeline.helpers import order_site, wait_status
from tests.pipeline.test_operators import FailingBriefAI, with_ai
from tests.portal.browser import NEEDS_CHROMIUM, check_axe, chromium_page

pytestmark = NEEDS_CHROMIUM
__all__ = ["with_ai"]  # the fixture, used by name
SLOW = 90_000  # ms: a build, with the machine shared


def _logo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (15, 94, 122)).save(out, "PNG")
    return out.getvalue()


async def _fill_form(page: Any, data: dict[str, Any], subdomain: str) -> None:
    business = data["business"]
    for key in ("name", "description", "industry", "city", "phone", "email"):
        await page.fill(f'[name="business.{key}"]', str(business[key]))
    await page.fill('[name="audience.description"]', data["audience"]["description"])
    await page.fill('[name="audience.pains"]', "\n".join(data["audience"]["pains"]))
    for i, service in enumerate(data["services"][:4]):
        if not await page.locator(f'[name="services.{i}.name"]').count():
            await page.click('[data-add-row="services"]')  # as a person would
        await page.fill(f'[name="services.{i}.name"]', service["name"])
        await page.fill(f'[name="services.{i}.description"]', service["description"])
    for page_id in data["pages"]:
        await page.check(f"#page-{page_id}")
    await page.fill('[name="style.primary_color"]', data["style"]["primary_color"].lower())
    await page.fill('[name="style.secondary_color"]', data["style"]["secondary_color"].lower())
    await page.set_input_files(
        "#f-new_logo", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": _logo()}]
    )
    shown = page.locator(".upload img").first  # the chosen image, before it is sent
    assert (await shown.get_attribute("src") or "").startswith("blob:")
    await page.fill("#f-new_logo_alt", "Harbour Physiotherapy logo")
    await page.fill('[name="subdomain"]', subdomain)


@pytest.mark.usefixtures("worker")
async def test_a_client_goes_from_the_link_to_a_delivered_site(
    settings: Settings, api: httpx.AsyncClient
) -> None:
    body = order_body()
    created = (await api.post("/api/v1/projects", json=body)).json()
    token = make_token(settings, uuid.UUID(created["id"]))
    data = example("harbour-physio")
    subdomain = f"harbour-{uuid.uuid4().hex[:8]}"
    previews = make_static_host_app(settings.sites_root, settings.addresses)
    with served_api(settings) as base, served(previews, settings.hosting_port):
        async with chromium_page(base) as page:
            await page.goto("/portal/start/not-a-link")
            assert "This link is not valid" in await page.inner_text("main")
            await check_axe(page, "00-link-not-valid")
            await page.goto(f"/portal/start/{token}")
            await check_axe(page, "01-create-account")
            await page.fill("#email", body["customer"]["email"])  # the order's address
            await page.fill("#password", "a password long enough")
            await page.get_by_role("button", name="Create account").click()
            await page.wait_for_url("**/form")
            await check_axe(page, "02-onboarding-form")
            # A draft is kept in the browser: back later, the answers are there.
            await page.fill('[name="business.name"]', "Harbour (draft)")
            await page.click('[data-add-row="services"]')  # a fourth row, kept with the draft
            await page.fill('[name="services.3.name"]', "Sports massage")
            await page.check("#page-about")
            await page.get_by_role("button", name="Save draft").click()
            await page.wait_for_selector("text=Draft saved in this browser.")
            await page.reload()
            assert await page.input_value('[name="business.name"]') == "Harbour (draft)"
            assert await page.input_value('[name="services.3.name"]') == "Sports massage"
            assert await page.is_checked("#page-about")

            # A reserved address: the API refuses it, and the form says so beside the field.
            await _fill_form(page, data, "www")
            await page.get_by_role("button", name="Send and build my site").click()
            await page.wait_for_selector(".error-summary")
            assert await page.get_attribute("#f-subdomain", "aria-invalid") == "true"
            assert "reserved" in await page.inner_text("#f-subdomain-error")
            assert await page.input_value('[name="services.3.name"]') == data["services"][3]["name"]
            assert await page.locator(".uploaded").count() == 1  # the logo is kept
            await check_axe(page, "03-form-with-an-error")

            await page.fill("#f-subdomain", subdomain)
            await page.get_by_role("button", name="Send and build my site").click()
            await page.wait_for_url("**/portal/projects/**")
            # The page follows the build by itself (server-sent events), no reload.
            await page.wait_for_selector('[data-status="preview_ready"]', timeout=SLOW)
            assert await page.get_attribute("#progress-bar", "value") == "100"
            assert subdomain in (await page.get_attribute("iframe.preview", "src") or "")
            # The preview shows in its frame (Chromium resolves *.localhost to this machine).
            site = page.frame_locator("iframe.preview")
            assert data["business"]["name"] in await site.locator("body").inner_text()
            await check_axe(page, "04-preview-ready")

            await page.fill("#revision-message", "Change the headline to 'Physio by the harbour'")
            await page.check("#rp-home")
            await page.get_by_role("button", name="Send the request").click()
            await page.wait_for_selector(".notice")

            async def settled() -> Any:
                found = (await api.get(f"/api/v1/projects/{created['id']}/revisions")).json()
                return found if found and found[0]["status"] in ("applied", "rejected") else None

            revisions = await wait_for(settled, seconds=SLOW / 1000)
            assert revisions[0]["status"] == "applied", revisions
            await page.wait_for_selector('li[data-revision][data-state="applied"]')
            assert await page.locator(".versions li").count() == 2
            # The frame shows the new version without a reload of the page.
            await site.locator("text=Physio by the harbour").first.wait_for()
            await check_axe(page, "05-change-applied")

            # The form was sent: its draft (the client's details) is gone from the browser.
            drafts = await page.evaluate("Object.keys(localStorage)")
            assert not [k for k in drafts if k.startswith("sitegen-draft-")], drafts
            await page.fill("#approved-by", "Ana Souza")
            await page.get_by_role("button", name="Approve and publish").click()
            await page.wait_for_selector('[data-status="delivered"]', timeout=SLOW)
            await check_axe(page, "06-delivered")

            # In Portuguese too, the client's other language.
            await page.goto(page.url.split("?")[0] + "?lang=pt-BR")
            assert await page.get_attribute("html", "lang") == "pt-BR"
            assert await page.inner_text('[data-status="delivered"]') == "No ar"
            await check_axe(page, "07-delivered-pt")


async def test_an_operator_retries_a_failed_step_from_the_console(
    settings: Settings, api: httpx.AsyncClient, with_ai: Any
) -> None:
    await with_ai(FailingBriefAI(failures=1))
    project = await order_site(api, unique_onboarding("harbour-physio"))
    await wait_status(api, project["id"], ("needs_attention",))
    email, password = f"op+{uuid.uuid4().hex[:8]}@example.com", "operator password 1"
    made = await api.post(
        "/api/v1/users", json={"email": email, "password": password, "role": "operator"}
    )
    assert made.status_code == 201, made.text
    with served_api(settings) as base:
        async with chromium_page(base) as page:
            await page.goto("/portal/sign-in?next=/console/attention")
            await check_axe(page, "00-sign-in")
            await page.fill("#email", email)
            await page.fill("#password", password)
            await page.locator("main").get_by_role("button", name="Sign in").click()
            await page.wait_for_url("**/console/attention")
            stuck = page.locator(f'section[data-project="{project["slug"]}"]')
            assert "the model refused" in await stuck.locator("pre").first.inner_text()
            await check_axe(page, "08-console-needs-attention")
            await stuck.locator('[data-step="generate_brief"] >> text=Retry').click()
            await page.wait_for_url(f"**/console/projects/{project['id']}?done=retry")
            await wait_status(api, project["id"], ("preview_ready",))
            await page.reload()
            assert await page.inner_text("[data-status]") == "preview_ready"
            await check_axe(page, "09-console-project")

            await page.goto(f"/console/?q={project['slug'][:12].upper()}")
            assert await page.locator(f'tr[data-project="{project["slug"]}"]').count() == 1
            await check_axe(page, "10-console-projects")
