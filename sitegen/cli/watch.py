"""`sitegen watch PROJECT`: the project's steps live, from its event stream, until it is
ready for review, delivered, cancelled or waiting for an operator."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import typer
from rich.console import Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table

from sitegen.cli.project import ApiOption, ApiProblem, ProjectApi, ProjectArg, console, errors

# Where watching ends, and whether that is good news (the exit code says).
ENDS = {"preview_ready": True, "delivered": True, "cancelled": False, "needs_attention": False}
DONE = ("success", "skipped")
MARKS = {"success": "[green]✓[/]", "running": "[yellow]…[/]", "failed": "[red]✗[/]"}


@dataclass(frozen=True)
class Event:
    id: str
    kind: str
    data: dict[str, Any]


def read_events(lines: Iterable[str]) -> Iterator[Event]:
    """Events out of text/event-stream lines; comments and `retry:` pass by."""
    fields: dict[str, str] = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            if name:
                fields[name] = value.removeprefix(" ")
            continue
        if "id" in fields and "data" in fields:
            yield Event(fields["id"], fields.get("event", "message"), json.loads(fields["data"]))
        fields = {}


def _view(steps: dict[str, str], status: str) -> Group:
    table = Table("step", "status", title=f"status: {status}", title_justify="left")
    for step, state in steps.items():
        table.add_row(step, f"{MARKS.get(state, ' ')} {state}")
    done = sum(state in DONE for state in steps.values())
    bar = ProgressBar(total=max(len(steps), 1), completed=done, width=40)
    return Group(table, bar, f"{done}/{len(steps)} steps done")


def watch(project: ProjectArg, api: ApiOption = None) -> None:
    """Follow a project's steps as they run (ends when it is ready, delivered, cancelled or
    waiting for an operator; exit code 1 for the last two)."""
    try:
        client = ProjectApi(api)
        p = client.project(project)
        pipeline = client.call("GET", f"/projects/{p['id']}/pipeline")
        steps = {s["step_key"]: s["status"] for s in pipeline}
        status, last, waiting = p["status"], "", p.get("waiting_for")
        url = f"/api/v1/projects/{p['id']}/events"
        with Live(_view(steps, status), console=console) as live:

            def stopped() -> bool:
                # Ready, delivered or cancelled; or waiting for someone other than the
                # client's review (a plan sign-off, a correction, an operator).
                return status in ENDS or waiting not in (None, "review")

            def consume(follow: bool) -> None:
                nonlocal status, last, waiting
                params = {"follow": "true" if follow else "false"} | (
                    {"after": last} if last else {}
                )
                with client.http.stream("GET", url, params=params) as stream:
                    if stream.status_code >= 400:
                        raise ApiProblem(f"the API answered {stream.status_code}")
                    for event in read_events(stream.iter_lines()):
                        last = event.id
                        if event.kind == "step":
                            steps[event.data["step"]] = event.data["status"]
                        elif event.kind == "status":
                            status = event.data["status"]
                            waiting = event.data.get("waiting_for")
                        live.update(_view(steps, status))
                        if follow and event.kind == "status" and stopped():
                            return

            consume(follow=False)  # what happened so far, to the last event
            lost = 0
            while not stopped():
                try:
                    consume(follow=True)  # a stream ends now and then: go on from there
                    lost = 0
                except httpx.TransportError:
                    lost += 1  # the API restarted, say: try again from the last event
                    if lost > 5:
                        raise
                    time.sleep(min(2**lost, 10))
    except ApiProblem as exc:
        errors.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from None
    except httpx.HTTPError:
        errors.print("[bold red]error:[/] the API stopped answering; is `sitegen dev` running?")
        raise typer.Exit(code=1) from None
    if waiting not in (None, "review"):
        console.print(f"waiting for {waiting}")
        raise typer.Exit(code=1)
    if not ENDS.get(status, True):
        raise typer.Exit(code=1)
