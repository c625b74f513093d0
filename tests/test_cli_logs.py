"""`sitegen status PROJECT` and `sitegen logs PROJECT STEP` for an operator whose project
stopped at a build that failed for good: the real API served on a port, the real worker,
Temporal and Postgres, the build failing in the real sandbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col
from temporalio.client import Client

from sitegen.db.tables import PipelineStep
from sitegen.integrations.storage.filesystem import FilesystemStorage
from sitegen.settings import Settings
from sitegen.stack.process import free_port
from sitegen.worker import build_clients, build_worker
from tests.api.accounts_support import login, make_client
from tests.conftest import ADMIN_HEADERS, served_api, unique_onboarding
from tests.pipeline.helpers import order_site, wait_status
from tests.pipeline.test_fix_loop import BreakingAI
from tests.test_cli_project import failed, ok, sitegen


@pytest.fixture
def no_fixes(settings: Settings) -> Settings:
    """A failed build goes straight to an operator: no fix rounds to wait through."""
    return settings.model_copy(update={"max_fix_attempts": 0})


@pytest.fixture
def served(no_fixes: Settings) -> Iterator[str]:
    with served_api(no_fixes) as url:
        yield url


@pytest.fixture
async def stuck(
    no_fixes: Settings, engine: AsyncEngine, temporal: Client, served: str
) -> AsyncIterator[dict[str, Any]]:
    """A project waiting for an operator after its first build failed (a page's JSON cut
    short by the AI), with the worker that ran it still up."""
    clients = build_clients(no_fixes, engine)
    clients.ai = BreakingAI()
    async with (
        build_worker(temporal, clients, no_fixes, no_fixes.task_queue),
        httpx.AsyncClient(base_url=served, headers=ADMIN_HEADERS, timeout=30) as api,
    ):
        created = await order_site(api, unique_onboarding("harbour-physio"))
        project = await wait_status(api, created["id"], ("needs_attention",), seconds=90)
        assert project["waiting_for"] == "operator decision on build_and_test"
        yield project


def table_row(output: str, first_cell: str) -> list[str]:
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃|").split("│")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{output}")


async def test_status_and_logs_show_an_operator_why_a_build_failed(
    stuck: dict[str, Any], served: str, no_fixes: Settings, sessions: Any
) -> None:
    slug, api = stuck["slug"], ("--api", served)

    out = ok(await sitegen("status", slug, *api))
    assert f"({slug}): needs_attention" in out
    assert "template     landing" in out and f"id           {stuck['id']}" in out
    assert "waiting for  operator decision on build_and_test" in out
    build = table_row(out, "build_and_test")
    assert build[1] == "failed" and "build failed after 0" in build[5], build
    assert table_row(out, "generate_brief")[1] == "success"
    assert out.rstrip().endswith(f"why: sitegen logs {slug} build_and_test")

    out = ok(await sitegen("logs", slug, "build_and_test", *api))
    assert out.startswith(f"build_and_test of {slug}: failed")
    assert "  error      build failed after 0 automatic fix attempts" in out
    assert "  build      failed: attempt 1, exit 1, sandbox " in out
    assert "/build_report_v1.json (build_report v1, " in out
    assert "  sandbox " not in out  # the step's details, not repeated beside the report
    # The build's own output, from the report in storage: the page whose JSON is cut short.
    heading, log = out.split("\nlog (", 1)[1].split("\n", 1)
    assert heading.endswith("/build_report_v1.json):"), heading
    assert "content/pages/home.json: invalid JSON" in log, out

    out = ok(await sitegen("logs", slug, "generate_brief", *api))
    assert out.startswith(f"generate_brief of {slug}: success")
    assert "/brief_v1.md (brief v1, " in out and "error" not in out

    # A step that stored a long log of its own (logs_ref): its end, as many lines as asked,
    # printed as it is (brackets are not styles).
    key = f"projects/{stuck['id']}/logs/download_assets.log"
    text = "\n".join(f"fetch {n} [red]" for n in range(1, 201))
    await FilesystemStorage(no_fixes.storage_root).put(key, text.encode(), "text/plain")
    async with sessions() as session, session.begin():
        await session.execute(
            update(PipelineStep)
            .where(col(PipelineStep.project_id) == uuid.UUID(stuck["id"]))
            .where(col(PipelineStep.step_key) == "download_assets")
            .values(logs_ref=key)
        )
    out = ok(await sitegen("logs", slug, "download_assets", "-n", "3", *api))
    assert out.endswith("fetch 198 [red]\nfetch 199 [red]\nfetch 200 [red]\n"), out
    assert f"log ({key}; the last 3 lines):" in out and "fetch 197" not in out

    # What cannot be shown: one line each, naming what was asked for.
    line = failed(await sitegen("logs", slug, "deploy_production", *api))
    assert line == f"error: step 'deploy_production' has not run in {slug}"
    line = failed(await sitegen("logs", slug, "build", *api))
    assert line.startswith("error: no step 'build'; STEP is one of: validate_onboarding, ")
    assert "build_and_test" in line
    line = failed(await sitegen("logs", "no-such-site", "build_and_test", *api))
    assert line == "error: no project with slug 'no-such-site'"
    line = failed(await sitegen("status", "Not A Slug!", *api))
    assert line == "error: no project with slug 'Not A Slug!'"
    missing = "6f1c1d8e-5d3c-4c8e-9a55-0b3a1f2e7c11"
    line = failed(await sitegen("logs", missing, "build_and_test", *api))
    assert line == f"error: no project with id '{missing}'"


async def test_logs_are_for_the_agency_and_need_the_api(stuck: dict[str, Any], served: str) -> None:
    """A client signed in to its own project may see its status, not the agency's logs."""
    async with httpx.AsyncClient(base_url=served, headers=ADMIN_HEADERS, timeout=30) as api:
        email = await make_client(api, stuck["customer_id"])
        token = (await login(api, email))["access_token"]
    as_client = {"SITEGEN_API_KEY": token}
    out = ok(await sitegen("status", stuck["slug"], "--api", served, env=as_client))
    assert "needs_attention" in out
    line = failed(
        await sitegen("logs", stuck["slug"], "build_and_test", "--api", served, env=as_client)
    )
    assert line == "error: only the agency's operators may do this"

    nobody = f"http://127.0.0.1:{free_port()}"
    line = failed(await sitegen("logs", stuck["slug"], "build_and_test", "--api", nobody))
    assert line == f"error: the API at {nobody} does not answer; is `sitegen dev` running?"
