"""`sitegen projects` and `sitegen status|revise|rollback|approve|cancel|retry|skip|abort
PROJECT`: projects listed and steered from the terminal, through the same API a client or an
operator console uses."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sitegen.settings import Settings
from sitegen.stack.local_api_key import auth_headers

ProjectArg = Annotated[str, typer.Argument(help="The project's slug or id.")]
ApiOption = Annotated[
    str | None,
    typer.Option(
        "--api", help="The API's base URL (default: the local stack's).", show_default=False
    ),
]
ByOption = Annotated[str | None, typer.Option("--by", help="Who is asking or deciding.")]

console = Console(highlight=False, soft_wrap=True)
errors = Console(highlight=False, soft_wrap=True, stderr=True)


class ApiProblem(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ProjectApi:
    def __init__(self, base: str | None) -> None:
        settings = Settings()
        self.base = base or f"http://{settings.api_host}:{settings.api_port}"
        self.http = httpx.Client(base_url=self.base, timeout=30, headers=auth_headers(settings))

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, f"/api/v1{path}", **kwargs)
        except httpx.HTTPError:
            raise ApiProblem(
                f"the API at {self.base} does not answer; is `sitegen dev` running?"
            ) from None
        if response.status_code >= 400:
            raise ApiProblem(_problem(response), response.status_code)
        return response.json()

    def project(self, ref: str) -> dict[str, Any]:
        """PROJECT as given: an id, else a slug; either way, one that is not there is named."""
        try:
            project_id = uuid.UUID(ref)
        except ValueError:
            project_id = None
        if project_id is not None:
            try:
                return dict(self.call("GET", f"/projects/{project_id}"))
            except ApiProblem as exc:
                if exc.status == 404:
                    raise ApiProblem(f"no project with id '{ref}'", 404) from None
                raise
        try:
            found = self.call("GET", "/projects", params={"slug": ref})
        except ApiProblem as exc:
            if exc.status != 422:  # 422: not a slug's shape, so no project has it
                raise
            found = []
        if not found:
            raise ApiProblem(f"no project with slug '{ref}'", 404)
        return dict(found[0])


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"the API answered {response.status_code}"
    if body.get("errors"):
        return "; ".join(f"{e['field']}: {e['reason']}" for e in body["errors"])
    field = f"{body['field']}: " if body.get("field") else ""
    return f"{field}{body.get('detail', response.status_code)}"


def run_api(api: str | None, action: Any) -> None:
    try:
        action(ProjectApi(api))
    except ApiProblem as exc:
        errors.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(code=1) from None


def projects(
    status: Annotated[
        str | None, typer.Option("--status", help="Only these, e.g. needs_attention.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    api: ApiOption = None,
) -> None:
    """Projects, newest first: slug, status, who it waits for, and the preview."""

    def show(client: ProjectApi) -> None:
        params: dict[str, Any] = {"limit": limit} | ({"status": status} if status else {})
        found = client.call("GET", "/projects", params=params)
        if not found:
            console.print("no projects" + (f" with status {status}" if status else ""))
            return
        table = Table("slug", "status", "waiting for", "preview", "created")
        for p in found:
            table.add_row(
                p["slug"],
                p["status"],
                p.get("waiting_for") or "",
                p.get("preview_url") or "",
                (p.get("created_at") or "")[:16].replace("T", " "),
            )
        console.print(table)

    run_api(api, show)


def status(project: ProjectArg, api: ApiOption = None) -> None:
    """Where a project is: status, template, who it waits for, its addresses, versions and
    steps (`sitegen logs PROJECT STEP` says why a step failed)."""

    def show(client: ProjectApi) -> None:
        p = client.project(project)
        console.print(f"[bold]{escape(p['name'])}[/] ({p['slug']}): [bold]{p['status']}[/]")
        console.print(f"  {'id':<12} {p['id']}")
        console.print(f"  {'template':<12} {p['template_id']}")
        if p.get("waiting_for"):
            console.print(f"  waiting for  {escape(p['waiting_for'])}")
        for label, key in (("preview", "preview_url"), ("production", "production_url")):
            if p.get(key):
                console.print(f"  {label:<12} {p[key]}")
        versions = client.call("GET", f"/projects/{p['id']}/versions")
        if versions:
            table = Table(
                "version", "kind", "commit", "url", title="versions", title_justify="left"
            )
            for v in versions:
                mark = " (live)" if v["current"] else ""
                table.add_row(f"{v['number']}{mark}", v["kind"], v["commit"][:10], v["url"])
            console.print(table)
        steps = client.call("GET", f"/projects/{p['id']}/pipeline")
        if steps:
            console.print(step_table(steps))
        failed = [s["step_key"] for s in steps if s["status"] in ("failed", "manual")]
        if failed:
            console.print(f"why: sitegen logs {p['slug']} {failed[0]}")

    run_api(api, show)


def step_table(steps: list[dict[str, Any]]) -> Table:
    """The pipeline's rows: status, retries, start, duration, and the first line of an error."""
    table = Table(
        "step", "status", "retries", "started", "took", "error", title="steps", title_justify="left"
    )
    for s in steps:
        took = f"{float(s['duration_seconds']):.1f} s" if s.get("duration_seconds") else ""
        error = (s.get("error_message") or "").strip().splitlines()
        first = error[0] if error else ""
        table.add_row(
            s["step_key"],
            s["status"],
            str(s["retry_count"] or ""),
            (s.get("started_at") or "")[:19].replace("T", " "),
            took,
            escape(first if len(first) <= 80 else first[:79] + "…"),
        )
    return table


def revise(
    project: ProjectArg,
    message: Annotated[str, typer.Argument(help="The change, in words.")],
    page: Annotated[list[str] | None, typer.Option("--page", help="A page it is about.")] = None,
    by: ByOption = None,
    api: ApiOption = None,
) -> None:
    """Ask for a change to the preview (queued, applied in order)."""

    def send(client: ProjectApi) -> None:
        p = client.project(project)
        body = {"message": message, "affected_pages": page or [], "requested_by": by}
        queued = client.call("POST", f"/projects/{p['id']}/revisions", json=body)
        console.print(f"revision {queued['revision_id']} queued (position {queued['position']})")

    run_api(api, send)


def rollback(
    project: ProjectArg,
    version: Annotated[int, typer.Argument(help="The version to make current again.")],
    by: ByOption = None,
    api: ApiOption = None,
) -> None:
    """Make an earlier version current again (as a new version)."""

    def send(client: ProjectApi) -> None:
        p = client.project(project)
        body = {"version": version, "requested_by": by}
        queued = client.call("POST", f"/projects/{p['id']}/rollback", json=body)
        console.print(f"rollback to version {version} queued (position {queued['position']})")

    run_api(api, send)


def approve(
    project: ProjectArg,
    by: Annotated[str, typer.Option("--by", help="Who approves.")] = "operator",
    note: Annotated[str | None, typer.Option(help="A note kept with the approval.")] = None,
    api: ApiOption = None,
) -> None:
    """Approve the preview: merge, deploy to production, deliver."""

    def send(client: ProjectApi) -> None:
        p = client.project(project)
        answer = client.call(
            "POST", f"/projects/{p['id']}/approve", json={"approved_by": by, "note": note}
        )
        console.print("already approved" if answer["already_approved"] else "approved; delivering")

    run_api(api, send)


def cancel(
    project: ProjectArg,
    reason: Annotated[str, typer.Option(help="Why; kept with the project.")] = "cancelled",
    api: ApiOption = None,
) -> None:
    """Cancel the project: work stops, the preview is taken down, nothing is deleted."""

    def send(client: ProjectApi) -> None:
        p = client.project(project)
        answer = client.call("POST", f"/projects/{p['id']}/cancel", json={"reason": reason})
        console.print("already cancelled" if answer["already_cancelled"] else "cancelling")

    run_api(api, send)


def _decide(action: str) -> Any:
    def decide(
        project: ProjectArg,
        step: Annotated[
            str | None, typer.Option(help="The failed step (default: the one waiting).")
        ] = None,
        by: ByOption = None,
        note: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
        api: ApiOption = None,
    ) -> None:
        def send(client: ProjectApi) -> None:
            p = client.project(project)
            key = step or _waiting_step(p)
            body = {"decided_by": by, "note": note}
            client.call("POST", f"/projects/{p['id']}/steps/{key}/{action}", json=body)
            console.print(f"{action}: {key}")

        run_api(api, send)

    decide.__doc__ = f"{action.capitalize()} the step that failed for good."
    return decide


def _waiting_step(project: dict[str, Any]) -> str:
    waiting = project.get("waiting_for") or ""
    prefix = "operator decision on "
    if not waiting.startswith(prefix):
        raise ApiProblem("no step is waiting for an operator; name one with --step")
    return waiting[len(prefix) :]


def register(app: typer.Typer) -> None:
    from sitegen.cli.logs import logs
    from sitegen.cli.watch import watch

    app.command()(projects)
    app.command()(status)
    app.command()(logs)
    app.command()(watch)
    app.command()(revise)
    app.command()(rollback)
    app.command()(approve)
    app.command()(cancel)
    for action in ("retry", "skip", "abort"):
        app.command(name=action)(_decide(action))
