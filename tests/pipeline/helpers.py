"""Shared moves of the pipeline tests: order a site, wait for a status, read the preview."""

from __future__ import annotations

import html
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from sqlmodel import select

from sitegen.db.tables import Artifact, Notification, PipelineStep
from sitegen.integrations.hosting.server import make_static_host_app
from tests.conftest import order_body, wait_for

DONE = ("preview_ready", "needs_attention", "cancelled")


async def order_site(
    api: httpx.AsyncClient, onboarding: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    response = await api.post(
        "/api/v1/projects", json=order_body(onboarding, start_generation=True, **extra)
    )
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()
    return project


async def wait_status(
    api: httpx.AsyncClient, project_id: str, statuses: tuple[str, ...] = DONE, seconds: float = 60
) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        project: dict[str, Any] = (await api.get(f"/api/v1/projects/{project_id}")).json()
        return project if project["status"] in statuses else None

    result: dict[str, Any] = await wait_for(reached, seconds)
    return result


async def wait_step(
    sessions: Any, project_id: str, step: str, status: str, seconds: float = 60
) -> None:
    async def reached() -> bool:
        async with sessions() as session:
            row = (
                await session.exec(
                    select(PipelineStep)
                    .where(PipelineStep.project_id == uuid.UUID(project_id))
                    .where(PipelineStep.step_key == step)
                )
            ).first()
        return row is not None and row.status == status

    await wait_for(reached, seconds, interval=0.05)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        for attr in ("href", "src"):
            if values.get(attr):
                self.hrefs.append(str(values[attr]))


class PreviewSite:
    """The preview host app in-process, addressed by the preview URL's Host header."""

    def __init__(self, sites_root: Path, preview_url: str) -> None:
        self.url = preview_url
        parts = urlsplit(preview_url)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=make_static_host_app(sites_root)),
            base_url=f"http://{parts.netloc}",
        )

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def crawl(self) -> dict[str, str]:
        """Every internal page reachable from the home page: path -> HTML."""
        pages: dict[str, str] = {}
        queue = ["/"]
        while queue:
            path = queue.pop()
            if path in pages:
                continue
            response = await self.get(path)
            assert response.status_code == 200, f"{path} -> {response.status_code}"
            if "text/html" not in response.headers.get("content-type", ""):
                pages[path] = ""
                continue
            pages[path] = response.text
            parser = Links()
            parser.feed(response.text)
            for href in parser.hrefs:
                target = urlsplit(urljoin(f"http://x{path}", href))
                if target.scheme in ("mailto", "tel") or href.startswith("#"):
                    continue
                if target.netloc not in ("x", "") or not target.path:
                    continue  # external (or absolute canonical links to this same site)
                queue.append(target.path)
        return pages

    async def aclose(self) -> None:
        await self.client.aclose()


def text_of(value: str) -> str:
    return html.escape(value, quote=False)


async def rows(sessions: Any, model: Any, project_id: str) -> list[Any]:
    async with sessions() as session:
        result = await session.exec(select(model).where(model.project_id == uuid.UUID(project_id)))
        return list(result.all())


async def artifacts(sessions: Any, project_id: str) -> list[Artifact]:
    return await rows(sessions, Artifact, project_id)


async def notifications(sessions: Any, project_id: str) -> list[Notification]:
    return await rows(sessions, Notification, project_id)


HISTORIES = Path(__file__).resolve().parent.parent / "histories"


async def keep_history(
    temporal: Any, workflow_id: str, name: str, run_id: str | None = None
) -> None:
    """With SITEGEN_RECORD_HISTORIES=1, save this run's history (the latest, unless `run_id`
    names an earlier one) for the replay test.

    Record again (and commit) only when a workflow change is meant to be incompatible
    and is guarded by `workflow.patched`; otherwise old histories must keep replaying.
    """
    import os

    if os.environ.get("SITEGEN_RECORD_HISTORIES") != "1":
        return
    history = await temporal.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json())


async def make_stored_form_invalid(sessions: Any, project_id: str) -> None:
    """The stored form no longer passes the pipeline's check (as if the template had dropped
    a page since): asks for a page the landing template does not have."""
    from sitegen.db.tables import OnboardingSubmission

    async with sessions() as session, session.begin():
        row = (
            await session.exec(
                select(OnboardingSubmission).where(
                    OnboardingSubmission.project_id == uuid.UUID(project_id)
                )
            )
        ).one()
        row.raw_data = {**row.raw_data, "pages": ["home", "blog"]}
        session.add(row)


def broken_json(text: str, round_: int) -> str:
    """JSON with a mistake on a line of its own for each round, so each failed build reports
    a different finding (the fix loop stops early when two in a row are the same)."""
    lines = text.splitlines(keepends=True)
    at = min(2 + round_, len(lines) - 1)
    return "".join(lines[:at]) + "oops\n" + "".join(lines[at:])


async def waiting_for_correction(
    api: httpx.AsyncClient, sessions: Any, form: dict[str, Any]
) -> dict[str, Any]:
    """A project whose stored form fails the pipeline's check, generation started, and the
    run waiting for the client's correction: the project as the API then shows it."""
    created = (await api.post("/api/v1/projects", json=order_body(form))).json()
    await make_stored_form_invalid(sessions, created["id"])
    started = await api.post(f"/api/v1/projects/{created['id']}/generate")
    assert started.status_code == 202, started.text

    async def waiting() -> dict[str, Any] | None:
        body: dict[str, Any] = (await api.get(f"/api/v1/projects/{created['id']}")).json()
        return body if body["waiting_for"] == "onboarding correction" else None

    project: dict[str, Any] = await wait_for(waiting, 30)
    return project


def slow_template(root: Path, seconds: int) -> Path:
    """A copy of the landing template whose build takes `seconds` first: time to kill or
    cancel things in the middle of it."""
    import shutil

    from sitegen.settings import REPO_ROOT

    shutil.copytree(REPO_ROOT / "templates" / "landing", root / "landing")
    manifest = root / "landing" / "template.toml"
    slow = (
        f'build_command = ["python", "-c", "import runpy, time; time.sleep({seconds}); '
        "runpy.run_path('build.py', run_name='__main__')\"]"
    )
    text = manifest.read_text()
    assert 'build_command = ["python", "build.py"]' in text
    manifest.write_text(text.replace('build_command = ["python", "build.py"]', slow))
    return root
