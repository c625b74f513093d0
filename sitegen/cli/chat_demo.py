"""`sitegen demo --chat`: the onboarding by conversation. A scripted client tells the
interviewer about a café (or, in Portuguese, a bakery), gets a plan, confirms it, and the
site is built to a live preview, whose URL is the last line."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape

from sitegen.cli.chat_script import SCRIPTS
from sitegen.cli.demo import follow, free_subdomain, preview_serves, print_design
from sitegen.settings import Settings

NAMES = {"en": "Sunflower Café", "pt-BR": "Padaria Pão & Afeto"}


def run_chat(
    console: Console, api: httpx.Client, settings: Settings, template: str, locale: str
) -> dict[str, Any] | None:
    """The project once its preview serves the business, or None (the reason printed)."""
    tag = secrets.token_hex(4)
    name = NAMES[locale]
    order = {
        "customer": {"name": name, "email": f"chat+{tag}@example.com"},
        "order": {"reference": f"demo-chat-{tag}", "product_id": "website"},
        "template_id": template,
        "name": name,
    }
    created = api.post("/api/v1/projects", json=order)
    if created.status_code != 201:
        _failed(console, "could not create the project", created)
        return None
    project_id = created.json()["id"]
    console.print(f"order received: project [bold]{created.json()['slug']}[/], no form yet\n")
    plan: dict[str, Any] | None = None
    for text in SCRIPTS[locale]:
        console.print(f"[bold cyan]client:[/] {escape(text)}", soft_wrap=True)
        answer = api.post(
            f"/api/v1/projects/{project_id}/conversation/messages",
            json={"text": text},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=60,
        )
        if answer.status_code != 200:
            _failed(console, "the conversation did not answer", answer)
            return None
        reply = answer.json()
        console.print(f"[bold green]sitegen:[/] {escape(reply['reply'])}\n", soft_wrap=True)
        plan = reply.get("plan")
    if plan is None:
        console.print("[bold red]the conversation ended without a plan[/]")
        return None
    form = api.get(f"/api/v1/projects/{project_id}/conversation").json()["onboarding"]
    # An earlier demo may hold the subdomain: the client corrects it when confirming.
    form["subdomain"] = free_subdomain(settings, form["subdomain"])
    confirmed = _confirm(api, project_id, form)
    if confirmed.status_code != 200:
        _failed(console, "the plan could not be confirmed", confirmed)
        return None
    console.print("[bold cyan]client:[/] (confirms the plan)")
    console.print("plan confirmed: the onboarding is stored and generation has started\n")
    project = follow(api, project_id, console, timeout=180)
    console.line()
    if project["status"] != "preview_ready":
        failed = [s for s in project.get("steps", []) if s["status"] == "failed"]
        why = f"step {failed[0]['step_key']}: {failed[0]['error_message']}" if failed else ""
        console.print(
            f"[bold red]generation did not finish:[/] status {project['status']} {escape(why)}",
            soft_wrap=True,
        )
        return None
    ok, problem = preview_serves(project["preview_url"], plan["name"])
    if not ok:
        console.print(f"[bold red]preview check failed:[/] {problem}")
        return None
    print_design(console, project)
    console.print(project["preview_url"], soft_wrap=True, highlight=False)
    return project


def _confirm(api: httpx.Client, project_id: str, form: dict[str, Any]) -> httpx.Response:
    url = f"/api/v1/projects/{project_id}/conversation/confirm"
    confirmed = api.post(url, json={"onboarding": form})
    taken = confirmed.status_code == 422 and any(
        e["field"] == "onboarding.subdomain" for e in confirmed.json().get("errors", [])
    )
    if taken:
        # Claimed by an earlier demo's project that never got a preview: another one.
        form["subdomain"] = f"{form['subdomain'][:48]}-{secrets.token_hex(3)}"
        confirmed = api.post(url, json={"onboarding": form})
    return confirmed


def _failed(console: Console, what: str, response: httpx.Response) -> None:
    console.print(f"[bold red]{what}:[/] {escape(response.text[:500])}", soft_wrap=True)
