"""build_and_test: the template's own build, in the sandbox, then checks on what it made."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import shutil
import sys
import tarfile
import tomllib
import uuid
from pathlib import Path
from typing import Any

from temporalio import activity

from sitegen.activities.priority_slots import PrioritySlots, run_priority_key
from sitegen.activities.site_checks import check_site
from sitegen.activities.support import ArtifactStore, Sessions, StepTracker, template_for
from sitegen.contracts.activities import BuildInput, BuildOutcome
from sitegen.contracts.site import SiteSpec
from sitegen.contracts.status import ArtifactType, StepStatus
from sitegen.failpoints import DURING_BUILD, failpoint
from sitegen.integrations.browser.contrast import SINCE_TEMPLATE_VERSION, ContrastChecker
from sitegen.integrations.browser.screenshots import (
    DEFAULT_SIZES,
    Screenshot,
    Screenshotter,
    Skipped,
)
from sitegen.integrations.build.runner import BuildRunner
from sitegen.integrations.git.base import GitHost
from sitegen.integrations.storage.base import Storage


def pack(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and not path.is_symlink():
                tar.add(path, arcname=path.relative_to(directory).as_posix())
    return buffer.getvalue()


class BuildActivities:
    def __init__(
        self,
        sessions: Sessions,
        git: GitHost,
        storage: Storage,
        runner: BuildRunner,
        templates_dir: Path,
        work_root: Path,
        browser: Screenshotter,
        contrast: ContrastChecker | None = None,
        concurrency: int = 2,
    ) -> None:
        """``contrast``: the rendered-contrast gate; by default the same Chromium, sandbox
        rule and time bound as the screenshots. ``concurrency``: builds at once in this
        worker (SITEGEN_BUILD_CONCURRENCY); the step's heartbeat goes on while one waits."""
        # A rush run's build takes the next free slot before the normal ones waiting.
        self.slots = PrioritySlots(concurrency)
        self.git = git
        self.browser = browser
        self.contrast = contrast or ContrastChecker(
            browser.configured,
            browser.work_root,
            timeout_seconds=browser.timeout_seconds,
            use_bwrap=browser.runner.use_bwrap,
        )
        self.storage = storage
        self.runner = runner
        self.templates_dir = templates_dir
        self.work_root = work_root
        self.artifacts = ArtifactStore(sessions, storage)
        self.steps = StepTracker(sessions)

    @activity.defn
    async def build_and_test(self, build: BuildInput) -> BuildOutcome:
        """A failed build is a result (the workflow's fix loop takes it), not an exception."""
        project = build.project
        report_version = build.report_version or build.attempt
        async with self.steps.track(project.project_id, build.step) as run:
            template = await template_for(self.templates_dir, project.template_id)
            workdir = self.work_root / project.slug / f"{build.sha[:12]}-{report_version}"
            await asyncio.to_thread(shutil.rmtree, workdir, True)  # a retry starts clean
            await self.git.export(build.repo.repo_name, build.sha, workdir)
            argv = list(template.build_command)
            if argv[0] in ("python", "python3"):
                argv[0] = sys.executable  # the template's build runs on our interpreter
            # Canonical links, og:url and sitemap.xml need the address the site will live at.
            env = {"SITE_URL": build.site_url} if build.site_url else None
            async with self.slots.held(run_priority_key()):
                result = await self.runner.run(workdir, argv, env=env, on_progress=_heartbeat)
                dist = workdir / template.output_dir
                checks = None
                contrast: dict[str, Any] | None = None
                contrast_skipped = None
                # The gate's browser photographs index.html too: no second launch for a preview.
                measured_shots: list[Screenshot] = []
                if result.ok:
                    spec = await self._spec(project.project_id)
                    version = await asyncio.to_thread(_template_version, workdir)
                    checks = await asyncio.to_thread(
                        check_site, dist, spec.locale if spec else None, template_version=version
                    )
                    if checks.ok and version < SINCE_TEMPLATE_VERSION:
                        contrast_skipped = f"template version {version} predates the contrast gate"
                    elif checks.ok:  # as rendered: its findings fail the build like the others
                        measured = await self.contrast.check(dist)
                        if isinstance(measured, Skipped):
                            contrast_skipped = measured.reason
                        else:
                            contrast = measured.summary()
                            checks.findings += measured.findings
                            measured_shots = measured.screenshots
                ok = result.ok and checks is not None and checks.ok
                shots: list[dict[str, Any]] = []
                shots_skipped = None
                if ok:  # the step's heartbeat (StepTracker) keeps beating meanwhile
                    taken: list[Screenshot] | Skipped = measured_shots
                    if not self._usable(measured_shots):
                        taken = await self.browser.capture(dist / "index.html")
                    if isinstance(taken, Skipped):
                        shots_skipped = taken.reason
                    else:
                        shots = await self._store_shots(project.project_id, report_version, taken)
            log = result.log
            if checks is not None and checks.problems:
                log += "\n\nsite checks failed:\n" + "\n".join(checks.problems[:50])
            report = {
                "ok": ok,
                "attempt": build.attempt,
                "sha": build.sha,
                "exit_code": result.exit_code,
                "timed_out": result.timed_out,
                "duration_seconds": round(result.duration_seconds, 3),
                "sandbox": result.sandbox,
                "limit": result.limit,  # the sandbox limit that stopped it, if one did
                # False only where unsandboxed builds were allowed: network and files shared.
                "isolated": result.sandbox == "bwrap",
                "pages": checks.pages if checks else 0,
                "problems": checks.problems[:50] if checks else [],
                # The same, machine-readable: file, line, rule, message.
                "findings": [f.model_dump() for f in checks.findings[:100]] if checks else [],
                # What the rendered-contrast gate measured, or why it did not run.
                "contrast": contrast,
                "contrast_skipped": contrast_skipped,
                # The preview_screenshot artifact's images, or why a passing build has none.
                "screenshots": shots,
                "screenshots_skipped": shots_skipped,
                "log": log,
            }
            ref = await self.artifacts.save(
                project.project_id,
                ArtifactType.BUILD_REPORT,
                report_version,
                "build_report",
                "json",
                json.dumps(report, indent=2).encode(),
                inline={k: v for k, v in report.items() if k != "log"},
            )
            dist_key = None
            if ok:
                data = await asyncio.to_thread(pack, dist)
                dist_key = f"projects/{project.project_id}/builds/{build.sha}.tar.gz"
                await self.storage.put(dist_key, data, "application/gzip")
            await asyncio.to_thread(shutil.rmtree, workdir, True)
            run.output_ref = ref.storage_key
            run.details = {k: report[k] for k in ("ok", "attempt", "sandbox", "pages", "exit_code")}
            if ok:
                run.details["screenshots"] = [shot["key"] for shot in shots]
                run.details["screenshots_skipped"] = shots_skipped
            findings: list[str] = []
            if not ok:
                # The fix loop takes it from here, but the row says what went wrong.
                run.status = StepStatus.FAILED
                last = _last_line(result.log.replace(str(workdir), "."))
                findings = (checks.problems if checks else []) or [last]
                if result.limit:
                    findings = [f"stopped by the sandbox's {result.limit} limit", *findings]
                run.message = f"attempt {build.attempt} failed: " + "; ".join(findings[:3])
            return BuildOutcome(
                ok=ok,
                report=ref,
                dist_key=dist_key,
                duration_seconds=result.duration_seconds,
                pages=checks.pages if checks else 0,
                findings=_digest(findings),
                fixable=result.limit is None,
            )

    async def _store_shots(
        self, project_id: uuid.UUID, version: int, taken: list[Screenshot]
    ) -> list[dict[str, Any]]:
        """Every size in storage, and one preview_screenshot row for the build (the index is
        one row per version): it points at the first (desktop) image and lists them all."""
        listed: list[dict[str, Any]] = [
            {
                "name": shot.size.name,
                "width": shot.size.width,
                "height": shot.size.height,
                "key": ArtifactStore.key(
                    project_id, f"preview_screenshot_{shot.size.name}_v{version}.png"
                ),
            }
            for shot in taken
        ]
        if not taken:
            return []
        for shot, entry in zip(taken[1:], listed[1:], strict=True):
            await self.storage.put(entry["key"], shot.png, "image/png")
        first = taken[0]
        await self.artifacts.save(
            project_id,
            ArtifactType.PREVIEW_SCREENSHOT,
            version,
            f"preview_screenshot_{first.size.name}",
            "png",
            first.png,
            inline={"page": "index.html", "screenshots": listed},
        )
        return listed

    def _usable(self, shots: list[Screenshot]) -> bool:
        """The contrast gate's pictures stand in for the screenshot step's own when they are
        what it would take (its sizes) and the step is not turned off or missing."""
        sizes = [shot.size for shot in shots]
        return sizes == list(DEFAULT_SIZES) and self.browser.chromium is not None

    async def _spec(self, project_id: uuid.UUID) -> SiteSpec | None:
        key = ArtifactStore.key(project_id, "site_spec_v1.json")
        if not await self.storage.exists(key):
            return None
        return await self.artifacts.load(key, SiteSpec)


def _template_version(checkout: Path) -> int:
    """The version of the template copy this repository was made from (its own
    template.toml, which can be older than the registry's)."""
    try:
        with (checkout / "template.toml").open("rb") as fh:
            return int(str(tomllib.load(fh).get("version", "1")).split(".")[0])
    except (OSError, ValueError, tomllib.TOMLDecodeError):
        return 1


def _digest(findings: list[str]) -> str:
    if not findings:
        return ""
    return hashlib.sha256("\n".join(sorted(findings)).encode()).hexdigest()[:16]


def _last_line(log: str) -> str:
    lines = [line for line in log.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "the build failed"


def _heartbeat() -> None:
    failpoint(DURING_BUILD)
    if activity.in_activity():
        activity.heartbeat()
