"""`sitegen demo`: the whole product in one command — a sample order becomes a live preview."""

from __future__ import annotations

import html
import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.live import Live
from rich.table import Table

from sitegen.contracts.onboarding import Onboarding
from sitegen.integrations.hosting.probe import get_preview
from sitegen.onboarding_links import make_token
from sitegen.settings import REPO_ROOT, Settings
from sitegen.stack.supervisor import Stack
from sitegen.temporal_ui import temporal_ui_url

DEFAULT_EXAMPLE = REPO_ROOT / "examples" / "onboarding" / "harbour-physio.json"
STATUS_STYLE = {
    "queued": "dim",
    "running": "yellow",
    "success": "green",
    "failed": "bold red",
    "skipped": "cyan",
    "manual": "magenta",
}


def load_onboarding(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        Onboarding.model_validate(data)
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"{path} is not JSON: {exc.msg} (line {exc.lineno})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise typer.BadParameter(f"{path}: {field}: {first['msg']}") from None
    return data


def free_subdomain(settings: Settings, wanted: str) -> str:
    """The form's subdomain, or a suffixed one when an earlier demo already took it."""
    try:
        taken = get_preview(settings.preview_url(wanted), timeout=2).status_code != 404
    except httpx.HTTPError:
        taken = False
    return f"{wanted[:48]}-{secrets.token_hex(3)}" if taken else wanted


def progress_table(steps: list[dict[str, Any]], status: str) -> Table:
    table = Table(title=f"project status: {status}", title_justify="left", expand=False)
    table.add_column("step")
    table.add_column("status")
    table.add_column("time", justify="right")
    for step in steps:
        duration = step.get("duration_seconds")
        table.add_row(
            step["step_key"],
            f"[{STATUS_STYLE.get(step['status'], '')}]{step['status']}[/]",
            f"{float(duration):.2f}s" if duration is not None else "",
        )
    return table


def follow(api: httpx.Client, project_id: str, console: Console, timeout: float) -> dict[str, Any]:
    """Poll the pipeline until the preview is ready or a step needs a human."""
    deadline = time.monotonic() + timeout
    project: dict[str, Any] = {}
    with Live(console=console, refresh_per_second=8, transient=False) as live:
        while time.monotonic() < deadline:
            project = api.get(f"/api/v1/projects/{project_id}").json()
            steps = api.get(f"/api/v1/projects/{project_id}/pipeline").json()
            live.update(progress_table(steps, project["status"]))
            if project["status"] in ("preview_ready", "needs_attention", "cancelled"):
                project["steps"] = steps
                return project
            if project["status"] == "onboarding" and project.get("validation_errors"):
                project["steps"] = steps
                return project
            time.sleep(0.15)
    project["status"] = "timeout"
    return project


def preview_serves(url: str, business_name: str) -> tuple[bool, str]:
    try:
        response = get_preview(url)
    except httpx.HTTPError as exc:
        return False, f"{url} did not answer: {exc}"
    if response.status_code != 200:
        return False, f"{url} answered {response.status_code}"
    if html.escape(business_name, quote=False) not in response.text:
        return False, f"{url} does not show the business name"
    return True, ""


def run_demo(
    console: Console,
    onboarding: Path | None,
    once: bool,
    story: bool = False,
    template: str | None = None,
    chat: str | None = None,
) -> None:
    from sitegen.cli.main import print_urls, running_stack, wait_until_stopped

    if chat is not None:
        if story or onboarding is not None:
            raise typer.BadParameter("--chat makes its own onboarding: no --story or --onboarding")
        _chat_demo(console, once, template or "landing", chat)
        return
    path = onboarding or DEFAULT_EXAMPLE
    form = load_onboarding(path)
    settings = Settings()
    # Examples written for another template live in a folder named after it.
    folder = path.resolve().parent.name
    template = template or (folder if (settings.templates_dir / folder).is_dir() else "landing")
    once = once or story  # the story ends with delivery: nothing is left to watch
    ok = False
    # Interrupted before the preview answered: that is not success.
    with running_stack(settings, interrupted_code=130, quiet_stop=once) as stack:
        print_urls(stack.urls())
        form["subdomain"] = free_subdomain(settings, form["subdomain"])
        project = _push_order(console, stack, settings, form, template)
        ok = project is not None
        if project is not None:
            from sitegen.cli.mailbox import show_mail

            show_mail(console, settings, stack.database_url, project["id"])
            _print_portal(console, stack, settings, project)
        if project is not None and story:
            from sitegen.cli.story import tell_story

            with stack.api_client() as api:
                ok = tell_story(api, console, project, form)
        if ok and not once:
            wait_until_stopped(stack)
    if not ok:
        raise typer.Exit(code=1)


def _chat_demo(console: Console, once: bool, template: str, locale: str) -> None:
    from sitegen.cli.chat_demo import run_chat
    from sitegen.cli.main import print_urls, running_stack, wait_until_stopped

    settings = Settings()
    with running_stack(settings, interrupted_code=130, quiet_stop=once) as stack:
        print_urls(stack.urls())
        with stack.api_client() as api:
            ok = run_chat(console, api, settings, template, locale) is not None
        if ok and not once:
            wait_until_stopped(stack)
    if not ok:
        raise typer.Exit(code=1)


def _print_portal(
    console: Console, stack: Stack, settings: Settings, project: dict[str, Any]
) -> None:
    """Where the rest of a project's life is clicked through: the client's link to this
    project (an account, the preview, changes, approval), and a new order waiting for its
    form, to fill in by hand."""
    base = stack.urls().api
    link = make_token(settings, uuid.UUID(project["id"]))
    console.print(f"Client portal ({project['name']}): {base}/portal/start/{link}", soft_wrap=True)
    tag = secrets.token_hex(4)
    body = {
        "customer": {"name": "Your Business", "email": f"you+{tag}@example.com"},
        "order": {"reference": f"demo-blank-{tag}", "product_id": "website"},
        "template_id": project["template_id"],
        "name": "Your Business",
    }
    with stack.api_client() as api:
        blank = api.post("/api/v1/projects", json=body)
    if blank.status_code == 201:
        token = make_token(settings, uuid.UUID(blank.json()["id"]))
        console.print(
            f"A new order, its form to fill in: {base}/portal/start/{token}", soft_wrap=True
        )


def _push_order(
    console: Console, stack: Stack, settings: Settings, form: dict[str, Any], template: str
) -> dict[str, Any] | None:
    """The project once its preview serves the business, or None (the reason printed)."""
    business = form["business"]
    body = {
        "customer": {"name": business["name"], "email": business["email"]},
        "order": {"reference": f"demo-{secrets.token_hex(6)}", "product_id": "website"},
        "template_id": template,
        "name": business["name"],
        "onboarding": form,
        "start_generation": True,
    }
    with stack.api_client() as api:
        response = api.post("/api/v1/projects", json=body)
        if response.status_code != 201:
            console.print(
                f"[bold red]could not create the project:[/] {response.text}", soft_wrap=True
            )
            return None
        created = response.json()
        console.print(f"order received: project [bold]{created['slug']}[/] ({business['name']})")
        project = follow(api, created["id"], console, timeout=180)
    console.line()  # a piped Live display ends without a newline
    if settings.temporal_address is None:
        console.print(
            f"Temporal UI: {temporal_ui_url(settings, created['workflow_id'])}", soft_wrap=True
        )
    if project["status"] != "preview_ready":
        failed = [s for s in project.get("steps", []) if s["status"] == "failed"]
        if failed:
            console.print(
                f"[bold red]step {failed[0]['step_key']} failed:[/] {failed[0]['error_message']}"
            )
        elif project.get("validation_errors"):
            console.print(f"[bold red]onboarding invalid:[/] {project['validation_errors']}")
        else:
            console.print(f"[bold red]generation did not finish:[/] status {project['status']}")
        return None
    ok, problem = preview_serves(project["preview_url"], business["name"])
    if not ok:
        console.print(f"[bold red]preview check failed:[/] {problem}")
        return None
    print_design(console, project)
    console.print(project["preview_url"], soft_wrap=True, highlight=False)
    return project


def print_design(console: Console, project: dict[str, Any]) -> None:
    """The design chain's pages beside the preview: what the site was built from."""
    links = project.get("design") or {}
    for label, key in (("style guide", "style_guide_url"), ("wireframe", "wireframe_url")):
        if links.get(key):
            console.print(f"{label}: {links[key]}", soft_wrap=True, highlight=False)
