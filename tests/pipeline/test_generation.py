"""The whole pipeline on the real dev server and Postgres: a paid order becomes a preview."""

from __future__ import annotations

import shutil
import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import select
from temporalio.client import Client

from sitegen.contracts.operator import CancelRequest
from sitegen.contracts.phones import COUNTRY_BY_LOCALE, e164
from sitegen.contracts.pipeline import PIPELINE_STEPS, PipelineState
from sitegen.contracts.site import Sitemap
from sitegen.db.tables import PipelineStep, SiteSpecRecord
from sitegen.integrations.browser.screenshots import NOT_INSTALLED, png_size
from sitegen.integrations.browser.screenshots import TURNED_OFF as SCREENSHOTS_OFF
from sitegen.settings import Settings
from tests.api.support import errors_by_field
from tests.conftest import example_names, example_template, order_body, unique_onboarding
from tests.pipeline.helpers import (
    PreviewSite,
    artifacts,
    keep_history,
    notifications,
    order_site,
    rows,
    text_of,
    wait_status,
    waiting_for_correction,
)

pytestmark = pytest.mark.usefixtures("worker")


async def cancel(temporal: Client, workflow_id: str) -> None:
    await temporal.get_workflow_handle(workflow_id).signal("cancel", CancelRequest(reason="test"))


# One example per template goes through Chromium's gates (screenshots, rendered contrast);
# the others build without them, as the settings fixture has it, to keep the suite quick.
BROWSER_EXAMPLES = {"harbour-physio", "saas/tally-invoicing", "portfolio/estudio-marina-costa"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.browser) if n in BROWSER_EXAMPLES else n
        for n in example_names(every_template=True)
    ],
)
async def test_example_order_becomes_a_live_preview(
    name: str, api: httpx.AsyncClient, settings: Settings, sessions: Any, temporal: Client
) -> None:
    form = unique_onboarding(name)
    created = await order_site(api, form, template_id=example_template(name))
    project = await wait_status(api, created["id"])
    assert project["status"] == "preview_ready", project
    assert project["preview_url"] == settings.preview_url(form["subdomain"])
    assert project["subdomain"] == form["subdomain"]
    # The repository by name, never by where it lies on the server's disk.
    assert project["repo_url"] == f"local:{created['slug']}.git"

    site = PreviewSite(settings.sites_root, project["preview_url"])
    try:
        pages = await site.crawl()  # asserts every internal link answers 200
        home = pages["/"]
        business = form["business"]
        assert text_of(business["name"]) in home
        assert f'lang="{form["locale"]}"' in home
        assert f'href="mailto:{business["email"]}"' in home
        country = business.get("country") or COUNTRY_BY_LOCALE.get(form["locale"])
        assert f"tel:{e164(business['phone'], country)}" in home  # with its country code
        every_page = "".join(pages.values())
        for service in form["services"]:
            assert text_of(service["name"]) in every_page, service["name"]
        for doc in ("/sitemap.xml", "/robots.txt"):
            assert (await site.get(doc)).status_code == 200
        sitemap_xml = (await site.get("/sitemap.xml")).text
        assert project["preview_url"] in sitemap_xml  # built with the address it lives at
    finally:
        await site.aclose()

    # Every page the sitemap artifact promises exists on the preview.
    indexed = {a.type.value: a for a in await artifacts(sessions, created["id"])}
    assert set(indexed) >= {
        "brief",
        "sitemap",
        "content",
        "layout_plan",
        "code_patch",
        "build_report",
    }
    sitemap = Sitemap.model_validate_json(
        (settings.storage_root / indexed["sitemap"].storage_ref).read_bytes()
    )
    wanted = set(form["pages"]) | {"home"}
    assert {p.id for p in sitemap.pages} == wanted
    for page in sitemap.pages:
        path = "/" if page.path == "index.html" else f"/{page.path}"
        assert path in pages, f"{page.id} ({page.path}) not reachable from the home page"
    for artifact in indexed.values():
        assert artifact.storage_ref.startswith(f"projects/{created['id']}/artifacts/")
        assert artifact.version == 1 and artifact.file_size and artifact.mime_type
        assert (settings.storage_root / artifact.storage_ref).stat().st_size == artifact.file_size
    # The home page as built, at both sizes, where Chromium is installed; else why not.
    build = (await api.get(f"/api/v1/projects/{created['id']}/builds")).json()[-1]
    if settings.chromium and shutil.which(settings.chromium):
        assert indexed["preview_screenshot"].storage_ref == build["screenshots"][0]["key"]
        shots = {s["name"]: s for s in build["screenshots"]}
        assert {n: (s["width"], s["height"]) for n, s in shots.items()} == {
            "desktop": (1280, 800),
            "mobile": (390, 844),
        }
        for shot in shots.values():
            png = (settings.storage_root / shot["key"]).read_bytes()
            assert png_size(png) == (shot["width"], shot["height"])
    else:
        assert build["screenshots"] == [] and "preview_screenshot" not in indexed
        # "": turned off for this test; None or a missing path: not installed here.
        reason = SCREENSHOTS_OFF if settings.chromium == "" else NOT_INSTALLED
        assert build["screenshots_skipped"].startswith(reason)
    specs = await rows(sessions, SiteSpecRecord, created["id"])
    assert [s.version for s in specs] == [1]

    # pipeline_step rows: complete, ordered, all successful.
    steps = (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    assert [s["step_key"] for s in steps] == [s.value for s in PIPELINE_STEPS]
    assert [s["step_order"] for s in steps] == list(range(1, len(PIPELINE_STEPS) + 1))
    for step in steps:
        assert step["status"] == "success", step
        assert step["started_at"] and step["finished_at"] and step["duration_seconds"] is not None
        assert step["error_message"] is None
    by_key = {s["step_key"]: s for s in steps}
    assert by_key["generate_brief"]["output_ref"] == indexed["brief"].storage_ref
    assert by_key["apply_patch"]["output_ref"]  # the commit sha
    usage = by_key["generate_content"]["details"]["ai_usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0 and usage["model"]
    assert by_key["build_and_test"]["details"]["ok"] is True
    assert by_key["build_and_test"]["details"]["screenshots"] == [
        s["key"] for s in build["screenshots"]
    ]

    kinds = sorted(
        (n.kind, n.recipient == settings.workspace_notify_recipient)
        for n in await notifications(sessions, created["id"])
    )
    assert kinds == [("preview_ready", False), ("preview_ready", True)]

    # The operator's view: query state and search attributes.
    handle = temporal.get_workflow_handle(created["workflow_id"])
    state = await handle.query("state", result_type=PipelineState)
    assert state.status == "preview_ready" and state.preview_url == project["preview_url"]
    assert all(s.status == "success" for s in state.steps)
    attrs = (await handle.describe()).typed_search_attributes
    values = {pair.key.name: pair.value for pair in attrs}
    assert values["ProjectStatus"] == "preview_ready"
    assert values["ProjectSlug"] == created["slug"]
    assert values["CustomerId"] == created["customer_id"]

    await cancel(temporal, created["workflow_id"])
    assert (await wait_status(api, created["id"], ("cancelled",)))["status"] == "cancelled"
    if name == "harbour-physio":  # one example's run is history enough
        await keep_history(temporal, created["workflow_id"], f"life_preview_then_cancel_{name}")


async def test_two_businesses_get_different_sites(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    homes = []
    for name in ("harbour-physio", "ironbark-software"):
        project = await wait_status(api, (await order_site(api, unique_onboarding(name)))["id"])
        site = PreviewSite(settings.sites_root, project["preview_url"])
        homes.append((await site.get("/")).text)
        await site.aclose()
    assert homes[0] != homes[1]
    assert "Harbour" in homes[0] and "Harbour" not in homes[1]


async def test_second_generate_returns_the_same_run(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    created = await order_site(api, unique_onboarding("ironbark-software"))
    again = await api.post(f"/api/v1/projects/{created['id']}/generate")
    assert again.status_code == 202
    body = again.json()
    assert body["already_running"] is True
    assert body["workflow_id"] == created["workflow_id"]
    first_run = (await temporal.get_workflow_handle(created["workflow_id"]).describe()).run_id
    assert body["run_id"] == first_run
    await wait_status(api, created["id"])
    third = (await api.post(f"/api/v1/projects/{created['id']}/generate")).json()
    assert third["run_id"] == first_run  # waiting for review still counts as running
    runs = [w async for w in temporal.list_workflows(f"WorkflowId = '{created['workflow_id']}'")]
    assert len(runs) == 1
    await cancel(temporal, created["workflow_id"])


async def test_invalid_onboarding_waits_for_a_correction(
    api: httpx.AsyncClient, sessions: Any, temporal: Client
) -> None:
    """The API checks every form; a stored form can still fail the pipeline's check (the
    template changed since, say), and then the run waits for the client's correction."""
    form = unique_onboarding("harbour-physio")
    waiting = created = await waiting_for_correction(api, sessions, form)
    assert waiting["status"] == "onboarding"
    errors = waiting["validation_errors"]
    assert errors[0]["field"] == "pages.1" and "blog" in errors[0]["reason"]
    state = await temporal.get_workflow_handle(created["workflow_id"]).query(
        "state", result_type=PipelineState
    )
    assert state.waiting_for == "onboarding correction"
    async with sessions() as session:
        later = (
            await session.exec(
                select(PipelineStep)
                .where(PipelineStep.project_id == uuid.UUID(created["id"]))
                .where(PipelineStep.step_key == "create_site_spec")
            )
        ).one()
    assert later.status == "queued"  # nothing past validation ran
    steps = (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    assert steps[0]["step_key"] == "validate_onboarding"
    assert steps[0]["status"] == "manual"  # a person (the client) has to act
    assert "pages.1" in steps[0]["error_message"]

    form["pages"] = ["home", "faq"]
    fixed = await api.post(f"/api/v1/projects/{created['id']}/onboarding", json=form)
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["workflow_notified"] is True and fixed.json()["revision"] == 2
    project = await wait_status(api, created["id"])
    assert project["status"] == "preview_ready"
    assert project["validation_errors"] == []
    assert project["waiting_for"] == "review"
    steps = (await api.get(f"/api/v1/projects/{created['id']}/pipeline")).json()
    assert steps[0]["status"] == "success" and steps[0]["error_message"] is None
    await cancel(temporal, created["workflow_id"])
    await wait_status(api, created["id"], ("cancelled",))
    await keep_history(temporal, created["workflow_id"], "life_invalid_onboarding_corrected")


async def test_a_taken_subdomain_is_refused_with_the_order(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    form = unique_onboarding("padaria-pao-e-afeto")
    first = await order_site(api, form)
    second = await api.post("/api/v1/projects", json=order_body(form, start_generation=True))
    errors = errors_by_field(second)
    assert "already used" in errors["onboarding.subdomain"]
    await wait_status(api, first["id"])
    await cancel(temporal, first["workflow_id"])
