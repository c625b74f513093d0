"""`sitegen status|revise|rollback|approve|cancel|retry|skip|abort PROJECT` against the real
API (uvicorn on a free port), the real worker, Temporal and Postgres."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner, Result

from sitegen.api.app import create_app
from sitegen.cli.main import app
from sitegen.settings import Settings
from sitegen.stack.local_api_key import local_key_path
from sitegen.stack.process import free_port
from tests.conftest import ADMIN_HEADERS, TEST_ADMIN_KEY, order_body, unique_onboarding, wait_for
from tests.pipeline.helpers import PreviewSite

pytestmark = pytest.mark.usefixtures("worker")

NAVY = "#1b2a4a"  # what the offline AI makes of "navy"


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[str]:
    """The API in a real server on a free port, in a thread of its own."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, name="api-server", daemon=True)
    thread.start()

    async def up() -> bool:
        return server.started or not thread.is_alive()

    await wait_for(up, 20, interval=0.02)
    assert server.started, "the API server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)
        assert not thread.is_alive(), "the API server did not stop"


async def sitegen(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """Run the command as a user would. In a thread: the command blocks on HTTP while the
    worker, on this test's event loop, does the work it asked for. A wide terminal keeps
    rich's table rows on one line each. Signed in with the tests' admin key, given as
    SITEGEN_API_KEY for this command only (None in `env` unsets a variable)."""
    runner = CliRunner()
    env = {"COLUMNS": "250", "SITEGEN_API_KEY": TEST_ADMIN_KEY, **(env or {})}

    def run() -> Result:
        return runner.invoke(app, list(args), env=env)

    return await asyncio.to_thread(run)


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result.stdout


def failed(result: Result) -> str:
    """Exit 1 with a single `error:` line on stderr and no traceback anywhere."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines
    assert "Traceback" not in result.output
    return lines[0]


class Api:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def order(self, example: str) -> dict[str, Any]:
        form = unique_onboarding(example)
        response = await self.http.post(
            "/api/v1/projects", json=order_body(form, start_generation=True)
        )
        assert response.status_code == 201, response.text
        project: dict[str, Any] = response.json()
        project["form"] = form
        return project

    async def project(self, project_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/projects/{project_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def reaches(
        self, project_id: str, statuses: tuple[str, ...], seconds: float = 90
    ) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            project = await self.project(project_id)
            assert project["status"] not in ("needs_attention", "cancelled") or (
                project["status"] in statuses
            ), project
            return project if project["status"] in statuses else None

        result: dict[str, Any] = await wait_for(reached, seconds)
        return result

    async def versions(self, project_id: str) -> list[dict[str, Any]]:
        versions: list[dict[str, Any]] = (
            await self.http.get(f"/api/v1/projects/{project_id}/versions")
        ).json()
        return versions

    async def settled(self, project_id: str, count: int) -> list[dict[str, Any]]:
        """Wait until the preview is ready again with `count` versions deployed."""

        async def done() -> list[dict[str, Any]] | None:
            project = await self.project(project_id)
            versions = await self.versions(project_id)
            ready = project["status"] == "preview_ready" and len(versions) >= count
            return versions if ready else None

        result: list[dict[str, Any]] = await wait_for(done, 90)
        return result


async def tokens_css(settings: Settings, url: str) -> str:
    site = PreviewSite(settings.sites_root, url)
    try:
        response = await site.get("/css/tokens.css")
        assert response.status_code == 200, (url, response.status_code)
        return response.text.lower()
    finally:
        await site.aclose()


def version_rows(output: str) -> dict[str, str]:
    """The versions table as `number(+ live)` -> the row's text."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃|").split("│")]
        if len(cells) == 4 and cells[0][:1].isdigit():
            rows[cells[0]] = line
    return rows


def local_stack_env(data_dir: Path, served: str) -> dict[str, str | None]:
    """What a user of the local stack has: its data dir and port, no SITEGEN_API_KEY. The
    key file is the one `sitegen dev` makes; here it names the key this test's API knows."""
    path = local_key_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEST_ADMIN_KEY + "\n")
    path.chmod(0o600)
    return {
        "SITEGEN_DATA_DIR": str(data_dir),
        "SITEGEN_API_PORT": served.rsplit(":")[-1],
        "SITEGEN_API_KEY": None,
    }


async def test_cli_steers_projects_from_preview_to_delivery_and_cancel(
    served: str, settings: Settings, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=served, timeout=30, headers=ADMIN_HEADERS) as http:
        api = Api(http)
        main, other = await asyncio.gather(
            api.order("harbour-physio"), api.order("ironbark-software")
        )
        slug = main["slug"]
        ready = await api.reaches(main["id"], ("preview_ready",))
        preview = ready["preview_url"]
        assert preview

        # status: by slug, through the default address and with the default key (the local
        # stack's: its port from Settings, its key from the key file in its data dir).
        out = ok(await sitegen("status", slug, env=local_stack_env(tmp_path / "local", served)))
        assert f"({slug}): preview_ready" in out
        assert "waiting for  review" in out
        assert f"preview      {preview}" in out
        assert "production" not in out
        [first] = await api.versions(main["id"])
        rows = version_rows(out)
        assert set(rows) == {"1 (live)"}
        assert "generation" in rows["1 (live)"] and first["commit"][:10] in rows["1 (live)"]
        assert first["url"] in rows["1 (live)"]

        # watch: what happened so far, step by step, to the preview (exit 0: it is ready).
        watched = ok(await sitegen("watch", slug, "--api", served))
        assert "status: preview_ready" in watched and "deploy_preview" in watched
        done = re.search(r"(\d+)/(\d+) steps done", watched)
        assert done is not None and done[1] == done[2], watched[-300:]

        # projects: the list, filtered by status, shows the project waiting for review.
        listed = ok(await sitegen("projects", "--status", "preview_ready", "--api", served))
        assert slug in listed and "review" in listed
        assert slug not in ok(await sitegen("projects", "--status", "delivered", "--api", served))

        # revise: queued, then applied as version 2 (the preview turns navy).
        assert NAVY not in await tokens_css(settings, preview)
        out = ok(
            await sitegen(
                "revise", slug, "Change the primary colour to navy", "--by", "Ana", "--api", served
            )
        )
        assert "queued (position 1)" in out
        revision_id = out.split()[1]
        versions = await api.settled(main["id"], 2)
        assert [v["kind"] for v in versions] == ["generation", "revision"]
        assert versions[1]["revision_id"] == revision_id
        assert versions[1]["requested_by"] == "Ana"
        revision = (await http.get(f"/api/v1/projects/{main['id']}/revisions/{revision_id}")).json()
        assert revision["status"] == "applied"
        assert NAVY in await tokens_css(settings, preview)
        rows = version_rows(ok(await sitegen("status", slug, "--api", served)))
        assert set(rows) == {"1", "2 (live)"} and "revision" in rows["2 (live)"]

        # rollback to version 1: a new version 3, and the preview is the first site again.
        out = ok(await sitegen("rollback", slug, "1", "--api", served))
        assert out.strip() == "rollback to version 1 queued (position 1)"
        versions = await api.settled(main["id"], 3)
        assert [v["kind"] for v in versions] == ["generation", "revision", "rollback"]
        assert versions[2]["rolled_back_to"] == 1
        assert versions[2]["commit"] not in (versions[0]["commit"], versions[1]["commit"])
        assert NAVY not in await tokens_css(settings, preview)
        rows = version_rows(ok(await sitegen("status", main["id"], "--api", served)))
        assert set(rows) == {"1", "2", "3 (live)"} and "rollback" in rows["3 (live)"]

        # retry/skip/abort with no step waiting: one clear line, exit 1, nothing changes.
        line = failed(await sitegen("retry", slug, "--api", served))
        assert line == "error: no step is waiting for an operator; name one with --step"
        line = failed(await sitegen("skip", slug, "--step", "download_assets", "--api", served))
        assert "'download_assets' is not waiting for a decision" in line
        line = failed(await sitegen("abort", slug, "--step", "build_and_test", "--api", served))
        assert "'build_and_test' is not waiting for a decision" in line
        line = failed(await sitegen("abort", slug, "--step", "no_such_step", "--api", served))
        assert line.startswith("error: path.step_key: ") and "build_and_test" in line
        assert (await api.project(main["id"]))["status"] == "preview_ready"

        # approve: delivered, and status shows the production address.
        out = ok(await sitegen("approve", slug, "--by", "Dana (studio)", "--api", served))
        assert out.strip() == "approved; delivering"
        delivered = await api.reaches(main["id"], ("delivered",))
        production = settings.addresses.production(main["form"]["subdomain"])
        assert delivered["production_url"] == production
        out = ok(await sitegen("status", slug, "--api", served))
        assert f"({slug}): delivered" in out
        assert f"production   {production}" in out
        assert "waiting for" not in out

        # cancel the other project, by id: it ends cancelled; cancelling again is harmless.
        out = ok(await sitegen("cancel", other["id"], "--reason", "changed plans", "--api", served))
        assert out.strip() == "cancelling"
        await api.reaches(other["id"], ("cancelled",))
        out = ok(await sitegen("status", other["slug"], "--api", served))
        assert f"({other['slug']}): cancelled" in out
        out = ok(await sitegen("cancel", other["slug"], "--api", served))
        assert out.strip() == "already cancelled"
        # The delivered project cannot be cancelled: the API's reason, on one line.
        line = failed(await sitegen("cancel", slug, "--api", served))
        assert "delivered" in line
        assert (await api.project(main["id"]))["status"] == "delivered"


async def test_cli_names_an_unknown_project_and_an_api_that_does_not_answer(
    served: str, tmp_path: Path
) -> None:
    line = failed(await sitegen("status", "no-such-project-here", "--api", served))
    assert line == "error: no project with slug 'no-such-project-here'"
    line = failed(await sitegen("approve", "no-such-project-here", "--api", served))
    assert line == "error: no project with slug 'no-such-project-here'"
    missing = "6f1c1d8e-5d3c-4c8e-9a55-0b3a1f2e7c11"
    line = failed(await sitegen("revise", missing, "anything", "--api", served))
    assert line == f"error: no project with id '{missing}'"

    # No key (none set, no stack's key file): the API's refusal, on one line.
    signed_out = {"SITEGEN_API_KEY": None, "SITEGEN_DATA_DIR": str(tmp_path / "no-stack")}
    line = failed(await sitegen("status", "some-site", "--api", served, env=signed_out))
    assert line.startswith("error: ") and "sign in" in line.lower(), line
    line = failed(
        await sitegen("status", "some-site", "--api", served, env={"SITEGEN_API_KEY": "sgk_x_y"})
    )
    assert line == "error: the API key is not valid", line

    nobody = f"http://127.0.0.1:{free_port()}"
    for command in (["status", "some-site"], ["cancel", "some-site"], ["retry", "some-site"]):
        line = failed(await sitegen(*command, "--api", nobody))
        assert line == f"error: the API at {nobody} does not answer; is `sitegen dev` running?"
