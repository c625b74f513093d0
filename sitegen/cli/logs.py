"""`sitegen logs PROJECT STEP`: why a step went as it did, for an operator: its status, error,
retries and the decision taken on it, what it wrote, the AI requests it made, and the end of
the log it stored (a build's output), through the API's operators' route."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from sitegen.cli.project import ApiOption, ApiProblem, ProjectApi, ProjectArg, console, run_api
from sitegen.contracts.pipeline import StepKey

StepArg = Annotated[str, typer.Argument(help="The step, e.g. build_and_test.", show_default=False)]


def _step(name: str) -> StepKey:
    try:
        return StepKey(name)
    except ValueError:
        known = ", ".join(s.value for s in StepKey)
        raise ApiProblem(f"no step '{name}'; STEP is one of: {known}") from None


def _when(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")


def _size(count: int | None) -> str:
    if count is None:
        return "?"
    return f"{count} B" if count < 1024 else f"{count / 1024:.1f} kB"


def _line(label: str, value: str) -> None:
    console.print(f"  {label:<10} {escape(value)}")


def _summary(found: dict[str, Any], slug: str) -> None:
    retries = found["retry_count"]
    tries = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
    console.print(f"[bold]{found['step_key']}[/] of {slug}: [bold]{found['status']}[/]{tries}")
    took = found.get("duration_seconds")
    span = _when(found.get("started_at"))
    if found.get("finished_at"):
        span += f" to {_when(found['finished_at'])}"
    if took is not None:
        span += f" ({float(took):.1f} s)"
    if span:
        _line("ran", span)
    if found.get("error_message"):
        _line("error", found["error_message"])
    decision = found.get("decision")
    if decision:
        note = f": {decision['note']}" if decision.get("note") else ""
        who = decision.get("decided_by") or "someone"
        _line(
            "decision",
            f"{decision.get('action')} by {who} at {_when(decision.get('decided_at'))}{note}",
        )
    artifact = found.get("artifact")
    if artifact:
        kind = f"{artifact['type']} v{artifact['version']}, {_size(artifact.get('file_size'))}"
        _line("output", f"{artifact['storage_ref']} ({kind})")
    elif found.get("output_ref"):
        _line("output", found["output_ref"])
    # What the step reported, less what the build report below says again.
    shown_below = {"ai_usage", *(found.get("build_report") or {})}
    for key, value in (found.get("details") or {}).items():
        if key not in shown_below and value not in (None, [], {}):
            _line(key, str(value))


def _ai_calls(calls: list[dict[str, Any]]) -> None:
    table = Table(
        "attempt", "model", "status", "tokens in/out", "cost", "error",
        title="AI requests (latest)", title_justify="left",
    )  # fmt: skip
    for call in calls:
        table.add_row(
            str(call["attempt"]),
            escape(call["model"]),
            call["status"],
            f"{call['input_tokens']}/{call['output_tokens']}",
            f"${float(call['cost_usd']):.4f}",
            escape(call.get("error") or ""),
        )
    console.print(table)


def _report(report: dict[str, Any]) -> None:
    verdict = "passed" if report.get("ok") else "failed"
    facts = [
        f"attempt {report.get('attempt')}",
        f"exit {report.get('exit_code')}",
        f"sandbox {report.get('sandbox')}",
        f"{report.get('pages', 0)} pages",
    ]
    if report.get("timed_out"):
        facts.append("timed out")
    if report.get("limit"):
        facts.append(f"stopped by the {report['limit']} limit")
    _line("build", f"{verdict}: " + ", ".join(facts))
    for problem in report.get("problems") or []:
        _line("", f"- {problem}")


def _log(found: dict[str, Any], lines: int) -> None:
    if found.get("log_unavailable"):
        _line("log", f"unavailable: {found['log_unavailable']}")
        return
    text = found.get("log")
    if text is None:
        return
    shown = text.splitlines()
    cut = len(shown) - lines if 0 < lines < len(shown) else 0
    more = f"; the last {len(shown) - cut} lines" if cut or found.get("log_omitted_chars") else ""
    console.print(f"[bold]log[/] ({escape(found.get('log_ref') or '')}{more}):")
    # Not markup: a log is full of brackets rich would read as styles.
    console.out("\n".join(shown[cut:]), highlight=False)


def logs(
    project: ProjectArg,
    step: StepArg,
    lines: Annotated[
        int, typer.Option("--lines", "-n", min=0, help="The log's last lines (0: all).")
    ] = 60,
    api: ApiOption = None,
) -> None:
    """Why a step failed: its status, error, retries, the operator's decision, its output,
    AI requests, build report and the end of its log (the agency's operators only)."""

    def show(client: ProjectApi) -> None:
        key = _step(step)
        p = client.project(project)
        try:
            found = client.call("GET", f"/projects/{p['id']}/pipeline/{key.value}/logs")
        except ApiProblem as exc:
            if exc.status == 404:
                raise ApiProblem(f"step '{key.value}' has not run in {p['slug']}", 404) from None
            raise
        _summary(found, p["slug"])
        if found.get("build_report"):
            _report(found["build_report"])
        if found.get("ai_calls"):
            _ai_calls(found["ai_calls"])
        _log(found, lines)

    run_api(api, show)
