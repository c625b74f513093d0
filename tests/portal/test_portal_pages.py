"""The portal's pages without a browser: forms from another site or without their token are
refused, the sign-in cookie reads but never writes through the API, a link makes one account
only, a client is kept out of the console, and bad input is a page that says so (never a
500)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from sitegen.auth.cookies import ACCESS_COOKIE, REFRESH_COOKIE
from sitegen.contracts.onboarding import Tone
from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.status import ProjectStatus, RevisionStatus, StepStatus
from sitegen.onboarding_links import make_token
from sitegen.portal import i18n
from sitegen.portal.client_pages import safe_next
from sitegen.portal.onboarding_form import FieldErrors, to_fields, to_onboarding
from sitegen.settings import Settings
from sitegen.stack.process import free_port
from tests.conftest import app_client, example, order_body

PASSWORD = "a password long enough"


async def ordered(api: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    """A new order's project, and the e-mail it was placed with."""
    body = order_body()
    project: dict[str, Any] = (await api.post("/api/v1/projects", json=body)).json()
    return project, body["customer"]["email"]


async def link_account(api: httpx.AsyncClient, token: str, email: str) -> httpx.Response:
    """The API's own call for an account made with a link (as nobody: no admin key)."""
    return await api.post(
        f"/api/v1/onboarding/{token}/account",
        json={"email": email, "password": PASSWORD},
        headers={"Authorization": ""},
    )


async def make_account(browser: httpx.AsyncClient, token: str, email: str) -> str:
    """The client's account, made with the link's page as a person would; the form token."""
    await browser.get(f"/portal/start/{token}")
    csrf = browser.cookies["sitegen_csrf"]
    made = await browser.post(
        f"/portal/start/{token}",
        data={"email": email, "password": PASSWORD, "csrf": csrf},
    )
    assert made.status_code == 303 and made.headers["location"].endswith("/form")
    renewed = browser.cookies["sitegen_csrf"]
    assert renewed != csrf  # a new sign-in, a new form token
    return renewed


def test_the_form_round_trips_and_drops_empty_rows() -> None:
    data = example("harbour-physio")
    data.pop("assets")
    fields = list(to_fields(data).items())
    fields += [("services.9.name", ""), ("pages", "home"), ("csrf", "x")]
    back = to_onboarding(fields)
    assert back["services"] == data["services"]
    assert back["business"] == data["business"]
    assert back["audience"]["pains"] == data["audience"]["pains"]
    # Rows are renumbered: an error's index names the row the form shows again.
    gapped = to_onboarding([("services.0.name", "A"), ("services.5.name", "B")])
    assert [s["name"] for s in gapped["services"]] == ["A", "B"]
    # Names the form does not have are not sent on (no smuggled fields).
    assert to_onboarding([("business.secret", "x"), ("services.99.name", "y")]) == {}


def test_an_error_lands_on_the_field_it_names_or_in_the_summary() -> None:
    shown = {"audience.pains", "services.0.name", "subdomain"}
    errors = FieldErrors.from_api(
        [
            {"field": "audience.pains.2", "reason": "too long"},
            {"field": "subdomain", "reason": "reserved"},
            {"field": "services", "reason": "at least 1"},
        ],
        shown,
    )
    assert errors.by_field == {"audience.pains": "too long", "subdomain": "reserved"}
    assert errors.general == [("services", "at least 1")]


def test_every_word_of_the_pages_exists_in_both_languages() -> None:
    used: set[str] = set()
    for template in (Path(i18n.__file__).parent / "templates").rglob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_.]*[a-z_])'", template.read_text()))
    assert used and used <= i18n.all_keys(), used - i18n.all_keys()
    # Words picked by a value: one for every value there is.
    for prefix, values in {
        "status": ProjectStatus,
        "state": StepStatus,
        "step": StepKey,
        "rev": RevisionStatus,
        "tone": Tone,
    }.items():
        missing = {f"{prefix}.{v.value}" for v in values} - i18n.all_keys()
        assert not missing, missing
    for key in i18n.all_keys():
        english, portuguese = i18n.both(key)
        assert english.strip() and portuguese.strip(), key
    assert i18n.pick_locale(None, None, "pt-BR,pt;q=0.9") == "pt-BR"
    assert i18n.pick_locale("xx", "en", "pt-BR") == "en"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/api/v1/x"])
def test_sign_in_goes_on_only_to_a_page_of_ours(target: str) -> None:
    assert safe_next(target) == "/portal/"


async def test_forms_without_their_token_or_from_another_site_are_refused(
    settings: Settings,
) -> None:
    async with app_client(settings, headers={}) as browser:
        page = await browser.get("/portal/sign-in")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        csrf = browser.cookies["sitegen_csrf"]
        body = {"email": "a@example.com", "password": "x", "csrf": csrf}
        missing = await browser.post("/portal/sign-in", data={**body, "csrf": ""})
        assert missing.status_code == 403 and "<h1>" in missing.text
        foreign = await browser.post(
            "/portal/sign-in", data=body, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        wrong = await browser.post("/portal/sign-in", data=body)
        assert wrong.status_code == 401 and "wrong" in wrong.text


async def test_a_link_makes_one_account_which_reads_but_never_writes_by_cookie(
    settings: Settings, api: httpx.AsyncClient
) -> None:
    project, email = await ordered(api)
    token = make_token(settings, uuid.UUID(project["id"]))
    # Only the address the order was placed with: a leaked link makes no account.
    stranger = await link_account(api, token, f"x{email}")
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "email"
    made = await link_account(api, token, email)
    assert made.status_code == 201, made.text
    again = await link_account(api, token, email.upper())
    assert again.status_code == 409 and again.json()["field"] == "email"
    link = await api.get(f"/api/v1/onboarding/{token}", headers={"Authorization": ""})
    assert link.json()["account_exists"] is True

    access = made.json()["access_token"]
    async with app_client(settings, headers={}) as browser:
        browser.cookies.set(ACCESS_COOKIE, access)
        read = await browser.get(f"/api/v1/projects/{project['id']}")
        assert read.status_code == 200
        # A cookie rides along with other sites' requests: it never changes anything.
        write = await browser.post(
            f"/api/v1/projects/{project['id']}/revisions", json={"message": "x"}
        )
        assert write.status_code == 401
        # The client is kept out of the console, whatever the page.
        assert (await browser.get("/console/")).status_code == 403
        assert (await browser.get("/console/attention")).status_code == 403


async def test_bad_links_and_bad_forms_are_pages_that_say_so(
    settings: Settings, api: httpx.AsyncClient
) -> None:
    project, email = await ordered(api)
    token = make_token(settings, uuid.UUID(project["id"]))
    async with app_client(settings, headers={}) as browser:
        assert (await browser.get("/portal/start/not-a-link")).status_code == 404
        expired = make_token(settings, uuid.UUID(project["id"]), now=0)
        gone = await browser.get(f"/portal/start/{expired}")
        assert gone.status_code == 410 and "expired" in gone.text
        start = await browser.get(f"/portal/start/{token}")
        assert start.status_code == 200
        csrf = browser.cookies["sitegen_csrf"]
        short = await browser.post(
            f"/portal/start/{token}",
            data={"email": "not-an-email", "password": "short", "csrf": csrf},
        )
        assert short.status_code == 422 and 'aria-invalid="true"' in short.text
        csrf = await make_account(browser, token, email)
        # Junk in every shape the form can carry: a 422 page naming the fields.
        junk = await browser.post(
            f"/portal/start/{token}/form",
            data={
                "csrf": csrf,
                "services.0.name": "x" * 500,
                "projects.0.year": "soon",
                "style.primary_color": "red",
                "subdomain": "www",
            },
        )
        assert junk.status_code == 422, junk.text[:300]
        for field in (
            "f-services-0-name-error",
            "f-subdomain-error",
            "f-style-primary_color-error",
        ):
            assert f'id="{field}"' in junk.text, field
        assert "<li>business: Field required</li>" in junk.text  # a part missing whole
        # Another project's page is a 404 for this client, as the API says.
        other = (await api.post("/api/v1/projects", json=order_body())).json()
        assert (await browser.get(f"/portal/projects/{other['id']}")).status_code == 404
        own = await browser.get(f"/portal/projects/{project['id']}")
        assert own.status_code == 200 and project["name"] in own.text


async def test_a_form_with_several_images_fits_and_a_bad_one_is_named(
    settings: Settings, api: httpx.AsyncClient
) -> None:
    small = settings.model_copy(update={"asset_max_bytes": 100_000})
    project, email = await ordered(api)
    token = make_token(small, uuid.UUID(project["id"]))
    async with app_client(small, headers={}) as browser:
        csrf = await make_account(browser, token, email)
        # Two files of 80 KB each: more than one upload's limit, within the form's.
        junk = b"x" * 80_000
        sent = await browser.post(
            f"/portal/start/{token}/form",
            data={"csrf": csrf},
            files={
                "new_logo": ("logo.png", junk, "image/png"),
                "new_image.0": ("a.png", junk, "image/png"),
            },
        )
        assert sent.status_code == 422, sent.text[:200]
        for field in ("f-new_logo-error", "f-new_image-0-error"):
            assert f'id="{field}"' in sent.text, field
        assert "not a PNG, JPEG, WebP or GIF image" in sent.text


async def test_with_the_database_down_every_page_says_so_and_none_fails(
    settings: Settings, api: httpx.AsyncClient
) -> None:
    project, email = await ordered(api)
    token = make_token(settings, uuid.UUID(project["id"]))
    account = await link_account(api, token, email)
    gone = f"postgresql://sitegen@127.0.0.1:{free_port()}/sitegen"
    down = settings.model_copy(
        update={"database_url": SecretStr(gone), "api_database_url": SecretStr(gone)}
    )
    async with app_client(down, headers={}) as browser:
        browser.cookies.set(ACCESS_COOKIE, account.json()["access_token"])
        for path in (
            "/portal/",
            f"/portal/start/{token}",
            f"/portal/start/{token}/form",
            f"/portal/projects/{project['id']}",
            f"/portal/projects/{project['id']}/progress",
            "/console/",
            "/console/attention",
        ):
            page = await browser.get(path)
            assert page.status_code == 503, (path, page.status_code, page.text[:200])
            assert "We cannot do that just now" in page.text, path
        csrf = browser.cookies["sitegen_csrf"]
        signing = await browser.post(
            "/portal/sign-in", data={"email": "a@example.com", "password": "x", "csrf": csrf}
        )
        assert signing.status_code == 503 and "We cannot do that just now" in signing.text


async def test_hostile_form_fields_and_addresses_are_pages_not_failures(
    settings: Settings, api: httpx.AsyncClient
) -> None:
    project, email = await ordered(api)
    token = make_token(settings, uuid.UUID(project["id"]))
    async with app_client(settings, headers={}) as browser:
        csrf = await make_account(browser, token, email)
        form = f"/portal/start/{token}/form"
        for fields in (
            {"services.².name": "x"},  # a digit to str.isdigit, not to int
            {f"services.{'1' * 5000}.name": "x"},
            {"projects.0.year": "--5", "projects.0.title": "t", "projects.0.summary": "s"},
            {"projects.0.year": "9" * 5000},
            {"assets.0.kind": "video", "assets.0.storage_key": "nope", "assets.0.alt": "a"},
        ):
            sent = await browser.post(form, data={"csrf": csrf, **fields})
            assert sent.status_code == 422, (next(iter(fields))[:40], sent.status_code)
            assert '<h2 id="error-summary-title">' in sent.text
        revision = await browser.post(
            f"/portal/projects/{project['id']}/revisions",
            data={"csrf": csrf, "message": "x", "request_id": "é"},
        )
        assert revision.status_code < 500, revision.text[:200]
        for path in ("/portal/projects/not-a-uuid", f"/console/projects/{project['id']}/x"):
            page = await browser.get(path)
            assert page.status_code in (403, 404) and "<h1>" in page.text, path
        step = await browser.post(
            f"/console/projects/{project['id']}/steps/a?b/retry", data={"csrf": csrf}
        )
        assert step.status_code == 404 and "<h1>" in step.text


async def test_an_expired_sign_in_is_renewed_once_per_page(
    settings: Settings, api: httpx.AsyncClient
) -> None:
    """A page reads the API side by side: one renewal serves them all, so a refresh token
    is never spent twice (with no grace for reuse, twice would sign the client out)."""
    strict = settings.model_copy(update={"refresh_reuse_grace_seconds": 0})
    project, email = await ordered(api)
    token = make_token(strict, uuid.UUID(project["id"]))
    made = await link_account(api, token, email)
    async with app_client(strict, headers={}) as browser:
        browser.cookies.set(REFRESH_COOKIE, made.json()["refresh_token"])  # access expired
        page = await browser.get(f"/portal/projects/{project['id']}")
        assert page.status_code == 200, page.headers.get("location")
        assert ACCESS_COOKIE in page.cookies and REFRESH_COOKIE in page.cookies
        again = await browser.get(f"/portal/projects/{project['id']}")
        assert again.status_code == 200
