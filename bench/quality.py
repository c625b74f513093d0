"""`make quality`: every template x every example onboarding, built and judged from outside.

Each site is made by the offline AI chain and built 10 times the way `build_and_test` builds
it (sandboxed build + site checks; the median is reported). The last build's dist/ is served
on 127.0.0.1 and every HTML page, the 404 page at a nested missing path included, is judged
by Lighthouse (mobile, four categories), the Nu HTML checker and axe-core. Target:
100/100/100/100, 0 Nu errors and 0 axe violations on every page.

A bench, not a test: it reports and exits 0, unless the tooling itself failed. Results go
to bench/results/quality.json and quality.md.

    make quality                        # all of it: 20-40 minutes on 2 cores
    make quality QUALITY_ARGS=--quick   # 1 build, one example per template
    python -m bench.quality --template landing --example harbour-physio
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from bench.common import machine, now
from bench.quality_tools import (
    NPM_PINS,
    ToolMissing,
    Tools,
    ensure_tools,
    findings,
    judge,
    serve,
)
from bench.site_build import (
    EXAMPLES,
    TEMPLATES,
    Build,
    all_templates,
    build,
    prepare,
    runner_from_settings,
)
from sitegen.integrations.build.runner import BuildRunner
from sitegen.logging import configure_logging
from sitegen.settings import REPO_ROOT, Settings
from sitegen.stack.process import free_port
from sitegen.templates_registry import (
    TemplateManifest,
)

RESULTS = Path(__file__).resolve().parent / "results"
SCORES = ("performance", "accessibility", "best-practices", "seo")

# Piped into a file or CI log the table would wrap at rich's default 80 columns.
console = Console(width=None if sys.stdout.isatty() else 150)
app = typer.Typer(add_completion=False)


async def one_site(
    tools: Tools,
    runner: BuildRunner,
    template: TemplateManifest,
    example: Path,
    builds: int,
    progress: Progress,
    task: Any,
) -> dict[str, Any]:
    site: dict[str, Any] = {"template": template.id, "example": example.stem}
    with tempfile.TemporaryDirectory(prefix="sitegen-quality-") as tmp:
        progress.update(task, description="offline AI chain")
        try:
            source = await prepare(TEMPLATES, template, example, Path(tmp) / "source")
        except Exception as exc:  # the product failing to make this site is a finding
            problem = f"the offline AI chain failed: {type(exc).__name__}: {exc}"
            site.update(build_ok=False, build_problems=[problem[:1000]], pages_skipped={})
            return {**site, "build_s": [], "build_median_s": None, "pages": []}
        site["pages_skipped"] = source.skipped
        port = free_port()  # known before the build: canonical links name the served address
        times: list[float] = []
        last: Build | None = None
        for n in range(builds):
            progress.update(task, description=f"build {n + 1}/{builds}")
            last = await build(runner, source, Path(tmp) / "work", f"http://127.0.0.1:{port}/")
            times.append(last.seconds)
            if not last.ok:
                break
        site["build_s"] = [round(t, 4) for t in times]
        site["build_median_s"] = round(statistics.median(times), 4)
        site["build_ok"] = bool(last and last.ok)
        site["build_problems"] = last.problems[:20] if last else []
        site["pages"] = []
        if last and last.dist.is_dir() and (last.dist / "index.html").is_file():
            with serve(last.dist, port) as base:

                def say(text: str) -> None:
                    progress.update(task, description=text)

                site["pages"] = await judge(tools, last.dist, base, say)
    return site


def _pick(
    template: list[str] | None, example: list[str] | None, quick: bool
) -> list[tuple[TemplateManifest, Path]]:
    templates = [t for t in all_templates(console.print) if not template or t.id in template]
    examples = [e for e in EXAMPLES if not example or e.stem in example]
    if not templates or not examples:
        raise typer.BadParameter("no template or no example matches")
    if quick:  # one example each: the template's own where it has one, else a different one
        own = {t.id: [e for e in examples if e.parent.name == t.id] for t in templates}
        return [(t, (own[t.id] or examples)[i % len(own[t.id] or examples)])
                for i, t in enumerate(templates)]  # fmt: skip
    return [(t, e) for t in templates for e in examples]


async def run(
    sites: list[tuple[TemplateManifest, Path]], builds: int, tools: Tools
) -> list[dict[str, Any]]:
    runner = runner_from_settings()
    results = []
    with Progress(console=console, transient=True) as progress:
        overall = progress.add_task("sites", total=len(sites))
        for template, example in sites:
            label = f"{template.id}/{example.stem}"
            task = progress.add_task(label, total=None)
            site = await one_site(tools, runner, template, example, builds, progress, task)
            progress.remove_task(task)
            progress.advance(overall)
            results.append(site)
            console.print(f"{label}: {_site_line(site)}")
    return results


def _score(page: dict[str, Any], name: str) -> int | None:
    """The page's score, with audits a 404 page fails by design counted as passed."""
    lh = page["lighthouse"]
    return None if "error" in lh else lh["score_as_404"][name]


def _site_summary(site: dict[str, Any]) -> dict[str, Any]:
    pages = site["pages"]
    scores = {n: [s for p in pages if (s := _score(p, n)) is not None] for n in SCORES}
    return {
        "pages": len(pages),
        "min": {n: min(v) if v else None for n, v in scores.items()},
        "nu_errors": sum(len(p["nu_errors"]) for p in pages),
        "axe_violations": sum(len(p["axe_violations"]) for p in pages),
        "max_kb": max((p["html_css_bytes"] for p in pages), default=0) / 1024,
        "build_median_s": site["build_median_s"],
    }


def _site_line(site: dict[str, Any]) -> str:
    if not site["build_ok"]:
        return f"[red]build failed[/]: {escape('; '.join(site['build_problems'][:3]))}"
    s = _site_summary(site)
    mins = "/".join("err" if s["min"][n] is None else str(s["min"][n]) for n in SCORES)
    skipped = ", ".join(f"{p} (needs {'+'.join(n)})" for p, n in site["pages_skipped"].items())
    return (
        f"{s['pages']} pages, min {mins}, Nu {s['nu_errors']}, axe {s['axe_violations']}, "
        f"build median {s['build_median_s']:.3f} s" + (f"; not built: {skipped}" if skipped else "")
    )


def _fmt(score: int | None, raw: int | None = None) -> str:
    if score is None:
        return "[red]err[/]"
    colour = "green" if score == 100 else "yellow" if score >= 90 else "red"
    mark = "†" if raw is not None and raw != score else ""
    return f"[{colour}]{score}{mark}[/]"


def _count(n: int) -> str:
    return f"[green]{n}[/]" if n == 0 else f"[red]{n}[/]"


def print_pages(results: list[dict[str, Any]]) -> None:
    table = Table(title="pages", show_lines=False)
    for col in ("template", "example", "page"):
        table.add_column(col)
    for col in ("perf", "a11y", "bp", "seo", "Nu err", "axe", "KB"):
        table.add_column(col, justify="right")
    for site in results:
        for page in site["pages"]:
            lh = page["lighthouse"]
            raw = lh.get("scores", {})
            kb = f"{page['html_css_bytes'] / 1024:.1f}"
            if page["image_bytes"]:
                kb += f" +{page['image_bytes'] / 1024:.0f} img"
            table.add_row(
                site["template"],
                site["example"],
                page["url_path"],
                *(_fmt(_score(page, n), raw.get(n)) for n in SCORES),
                _count(len(page["nu_errors"])),
                _count(len(page["axe_violations"])),
                kb,
            )
    console.print(table)
    console.print(
        "† the 404 page: Lighthouse audits it fails by being one (http-status-code, "
        "is-crawlable, and errors-in-console for its own 404 line only) are counted as passed; "
        "raw scores are in quality.json. perf: the best of up to 3 runs (a run under 100 is "
        "repeated alone, as load on the machine slows the trace it scores).",
        style="dim",
    )


def summarise(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_template: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for site in results:
        by_template[site["template"]].append(site)
    summary = {}
    for template, sites in by_template.items():
        each = [_site_summary(s) for s in sites]
        mins = {
            n: min((s["min"][n] for s in each if s["min"][n] is not None), default=None)
            for n in SCORES
        }
        builds = [t for s in sites for t in s["build_s"]]
        summary[template] = {
            "sites": len(sites),
            "sites_built": sum(s["build_ok"] for s in sites),
            "pages": sum(s["pages"] for s in each),
            "min": mins,
            "nu_errors": sum(s["nu_errors"] for s in each),
            "axe_violations": sum(s["axe_violations"] for s in each),
            "max_page_kb": round(max(s["max_kb"] for s in each), 1),
            "build_median_s": round(statistics.median(builds), 4) if builds else None,
            "site_build_medians_s": {s["example"]: s["build_median_s"] for s in sites},
        }
    return summary


def print_summary(summary: dict[str, dict[str, Any]], builds: int) -> None:
    table = Table(title=f"per template (build: median of {builds} per site, all sites)")
    table.add_column("template")
    for col in ("sites", "pages", "perf", "a11y", "bp", "seo", "Nu err", "axe", "max KB"):
        table.add_column(col, justify="right")
    table.add_column("build median", justify="right")
    for template, s in summary.items():
        table.add_row(
            template,
            f"{s['sites_built']}/{s['sites']}",
            str(s["pages"]),
            *(_fmt(s["min"][n]) for n in SCORES),
            _count(s["nu_errors"]),
            _count(s["axe_violations"]),
            f"{s['max_page_kb']:.1f}",
            f"{s['build_median_s']:.3f} s" if s["build_median_s"] is not None else "-",
        )
    console.print(table)


def print_findings(items: list[dict[str, Any]], limit: int = 25) -> None:
    shown = [f for f in items if not f["expected"]]
    if not shown:
        console.print("[green]no findings: every page meets the target[/]")
        return
    console.print(f"[bold]findings keeping pages below 100/0/0[/] ({len(shown)} rules)")
    for item in shown[:limit]:
        pages = item["pages"]
        more = f" and {len(pages) - 3} more" if len(pages) > 3 else ""
        console.print(
            f"  [bold]{item['tool']}[/] {escape(item['id'])}: {escape(item['text'])}\n"
            f"      on {len(pages)} page(s): {escape(', '.join(pages[:3]))}{more}"
        )


def write_results(
    results: list[dict[str, Any]], summary: dict[str, Any], items: list[dict[str, Any]], **run: Any
) -> None:
    RESULTS.mkdir(exist_ok=True)
    data = {
        "measured_at": now(),
        "machine": machine(),
        "tools": NPM_PINS,
        **run,
        "templates": summary,
        "findings": items,
        "sites": results,
    }
    (RESULTS / "quality.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "quality.md").write_text(markdown(results, summary, items, data))


def _md(*cells: object) -> str:
    return "| " + " | ".join("err" if c is None else str(c) for c in cells) + " |"


def markdown(
    results: list[dict[str, Any]],
    summary: dict[str, Any],
    items: list[dict[str, Any]],
    data: dict[str, Any],
) -> str:
    tools = ", ".join(f"{k} {v}" for k, v in NPM_PINS.items())
    tail = ("perf", "a11y", "bp", "seo", "Nu errors", "axe violations", "max page KB")
    lines = [
        "# make quality",
        "",
        f"{data['measured_at']}, {data['machine']['cpus']} CPUs, Python "
        f"{data['machine']['python']}; {tools}; Chromium from the system. Builds per site: "
        f"{data['builds_per_site']} (median). Audits a 404 page fails by being one "
        "(http-status-code, is-crawlable, errors-in-console for its own 404) count as passed. "
        "Performance is the best of up to 3 runs: one under 100 is repeated alone.",
        "",
        _md("template", "sites", "pages", *tail, "build median s (all builds)"),
        "|---|" + "--:|" * 10,
    ]
    for template, s in summary.items():
        median = "-" if s["build_median_s"] is None else f"{s['build_median_s']:.3f}"
        built, mins = f"{s['sites_built']}/{s['sites']}", [s["min"][n] for n in SCORES]
        counts = (s["nu_errors"], s["axe_violations"], f"{s['max_page_kb']:.1f}")
        lines.append(_md(template, built, s["pages"], *mins, *counts, median))
    lines += ["", "Per site (scores are the minimum over the site's pages):", ""]
    lines += [
        _md("template", "example", "pages", *tail, "build median s", "not built (needs)"),
        "|---|---|" + "--:|" * 9 + "---|",
    ]
    for site in results:
        s = _site_summary(site)
        mins = [s["min"][n] if site["build_ok"] else "build failed" for n in SCORES]
        counts = (s["nu_errors"], s["axe_violations"], f"{s['max_kb']:.1f}")
        build_s = "-" if s["build_median_s"] is None else f"{s['build_median_s']:.3f}"
        lacks = ", ".join(f"{p} ({'+'.join(n)})" for p, n in site["pages_skipped"].items())
        row = (site["template"], site["example"], s["pages"], *mins, *counts, build_s)
        lines.append(_md(*row, lacks or "-"))
    lines += ["", "Findings (pages below the target):", ""]
    shown = [f for f in items if not f["expected"]]
    for item in shown[:40]:
        pages = ", ".join(item["pages"][:5]) + (" …" if len(item["pages"]) > 5 else "")
        text = item["text"].replace("|", "\\|")
        count = len(item["pages"])
        lines.append(f"- **{item['tool']}** `{item['id']}`: {text} — {count} page(s): {pages}")
    if not shown:
        lines.append("- none: every page meets 100/100/100/100, 0 Nu errors, 0 axe violations")
    return "\n".join(lines) + "\n"


@app.command()
def main(
    quick: Annotated[bool, typer.Option(help="1 build per site, one example per template")] = False,
    template: Annotated[
        list[str] | None, typer.Option(help="only this template (repeatable)")
    ] = None,
    example: Annotated[
        list[str] | None, typer.Option(help="only this example (repeatable)")
    ] = None,
) -> None:
    """Build every template x example onboarding and judge every page from outside."""
    configure_logging(Settings(log_level="ERROR"))  # the runner's info lines would bury progress
    builds = 1 if quick else 10
    sites = _pick(template, example, quick)
    try:
        tools = ensure_tools()
    except ToolMissing as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(2) from exc
    console.print(f"{len(sites)} site(s), {builds} build(s) each; judges: {NPM_PINS}")
    try:
        results = asyncio.run(run(sites, builds, tools))
    except (RuntimeError, OSError, json.JSONDecodeError) as exc:  # a judge itself broke
        console.print(f"[red]the tooling failed:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    summary = summarise(results)
    items = findings(results)
    print_pages(results)
    print_summary(summary, builds)
    print_findings(items)
    write_results(results, summary, items, builds_per_site=builds, quick=quick,
                  filters={"template": template, "example": example})  # fmt: skip
    console.print(f"written to {(RESULTS / 'quality.md').relative_to(REPO_ROOT)} and .json")
    if any("error" in p["lighthouse"] for s in results for p in s["pages"]):
        sys.exit(1)  # a Lighthouse run that crashed is the tooling failing, not a finding


if __name__ == "__main__":
    app()
