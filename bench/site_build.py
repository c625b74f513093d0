"""One generated site, made the way the pipeline makes it, without Temporal or a stack.

The offline AI chain (site spec → sitemap → copy per page → layout plan → code patch) runs
once per site and its patch is applied with git to a copy of the template folder. Each
*build* then starts from a fresh copy of that checkout, as the activity starts from a fresh
export, and is what `build_and_test` does: the template's build command in the real
sandboxed `BuildRunner`, then `check_site` on what it made.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sitegen.activities.site_checks import check_site
from sitegen.contracts.onboarding import Onboarding
from sitegen.contracts.site import SiteContent, SiteSpec
from sitegen.integrations.ai import OfflineAI
from sitegen.integrations.ai.planning import available_pages
from sitegen.integrations.build.runner import BuildRunner
from sitegen.settings import REPO_ROOT, Settings
from sitegen.templates_registry import (
    MANIFEST_NAME,
    TemplateManifest,
    is_editable,
    list_templates,
    load_template,
)

TEMPLATES = REPO_ROOT / "templates"


@dataclass
class SiteSource:
    """A template checkout with the AI's patch applied: what a project's repo holds."""

    template: TemplateManifest
    example: str
    spec: SiteSpec
    checkout: Path
    skipped: dict[str, list[str]]  # template pages the example cannot fill: what they need


@dataclass
class Build:
    seconds: float  # the sandboxed build plus the site checks, as build_and_test times it
    ok: bool
    problems: list[str]
    dist: Path


def runner_from_settings() -> BuildRunner:
    """The runner the worker builds with (same limits, same sandbox policy)."""
    settings = Settings()
    return BuildRunner(
        timeout_seconds=settings.build_timeout_seconds,
        memory_mb=settings.build_memory_mb,
        max_processes=settings.build_max_processes,
        use_bwrap=None if settings.build_allow_unsandboxed else True,
    )


def onboarding_for(template: TemplateManifest, example: Path) -> Onboarding:
    """The example's form asking for every page of the template whose `needs` it meets (a
    pricing page needs plans), decided by the planner's own rule."""
    data = json.loads(example.read_text(encoding="utf-8"))
    form = Onboarding.model_validate(data)  # the example as shipped must be valid
    data["pages"] = available_pages(template, form)
    return Onboarding.model_validate(data)


def _git(repo: Path, *args: str, stdin: str | None = None) -> None:
    cmd = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench", *args]
    done = subprocess.run(cmd, cwd=repo, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")


async def prepare(
    templates_dir: Path, template: TemplateManifest, example: Path, dest: Path
) -> SiteSource:
    ai = OfflineAI()
    form = onboarding_for(template, example)
    spec = (await ai.site_spec(form, template)).artifact
    sitemap = (await ai.sitemap(spec, template)).artifact
    pages = [(await ai.page_content(spec, page)).artifact for page in sitemap.pages]
    layout = (await ai.layout_plan(spec, sitemap, template)).artifact
    ignore = shutil.ignore_patterns(template.output_dir, "__pycache__", ".git")
    shutil.copytree(templates_dir / template.id, dest, ignore=ignore)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-qm", "template")
    files = {
        path.relative_to(dest).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(dest.rglob("*"))
        if path.is_file()
        and not path.relative_to(dest).as_posix().startswith(".git/")
        and is_editable(template, path.relative_to(dest).as_posix())
    }
    content = SiteContent(pages=pages)
    patch = (await ai.code_patch(spec, content, layout, files, template)).artifact
    _git(dest, "apply", "-", stdin=patch.diff)
    skipped = {p.id: [str(n) for n in p.needs] for p in template.pages if p.id not in form.pages}
    return SiteSource(template, example.stem, spec, dest, skipped)


async def build(runner: BuildRunner, source: SiteSource, workdir: Path, site_url: str) -> Build:
    """One build from a fresh copy of the checkout (the copy is not timed: the activity's
    export is a step of its own)."""
    await asyncio.to_thread(shutil.rmtree, workdir, True)
    ignore = shutil.ignore_patterns(".git")
    await asyncio.to_thread(shutil.copytree, source.checkout, workdir, ignore=ignore)
    argv = list(source.template.build_command)
    if argv[0] in ("python", "python3"):
        argv[0] = sys.executable  # as the activity does: the build runs on our interpreter
    started = time.perf_counter()
    result = await runner.run(workdir, argv, env={"SITE_URL": site_url})
    dist = workdir / source.template.output_dir
    problems = [f"build exited {result.exit_code}: {result.log.strip()[-500:]}"]
    if result.ok:
        version = int(source.template.version.split(".")[0])
        checks = await asyncio.to_thread(
            check_site, dist, source.spec.locale, template_version=version
        )
        problems = checks.problems
    seconds = time.perf_counter() - started
    return Build(seconds, result.ok and not problems, problems, dist)


def all_templates(say: Callable[[str], object]) -> list[TemplateManifest]:
    """Every template; one whose manifest does not load is named and left out, so a
    template being written does not stop the others being judged."""
    try:
        return list_templates(TEMPLATES)
    except ValueError:
        found = []
        for manifest in sorted(TEMPLATES.glob(f"*/{MANIFEST_NAME}")):
            try:
                found.append(load_template(TEMPLATES, manifest.parent.name))
            except ValueError as exc:
                say(f"[red]template {manifest.parent.name} skipped:[/] {exc}")
        return found


# Every example, those written for one template (in a folder named after it) included: each
# template builds each of them, with every page the example has content for.
EXAMPLES = sorted((REPO_ROOT / "examples" / "onboarding").rglob("*.json"))
