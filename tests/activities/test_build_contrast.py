"""build_and_test runs the rendered-contrast gate after the static checks: what it measured
goes in the build report, its findings fail the build, and a browser it cannot use is a
skip with the reason, never a pass it did not measure."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from sitegen.activities.build import BuildActivities
from sitegen.contracts.findings import Finding
from sitegen.integrations.browser.contrast import ContrastChecker, ContrastReport
from sitegen.integrations.browser.screenshots import NOT_INSTALLED, Screenshotter, Skipped
from sitegen.settings import Settings
from tests.activities.build_support import built_site


class FailingContrast(ContrastChecker):
    """A gate that finds one faint text, whatever the site."""

    async def check(self, dist: Path) -> ContrastReport | Skipped:
        finding = Finding(
            file="index.html",
            rule="contrast",
            message="'Opening hours' is 2.10:1 on #888888 (needs 4.5:1; text #555555, desktop)",
        )
        return ContrastReport(findings=[finding], pages=1, viewports=["desktop"], checked=1)


@pytest.mark.browser
@pytest.mark.usefixtures("worker")
async def test_the_gate_reports_fails_and_skips(
    api: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    temporal: Client,
    tmp_path: Path,
) -> None:
    created, clients, build_input = await built_site(api, settings, engine, temporal)
    first = (await api.get(f"/api/v1/projects/{created['id']}/builds")).json()[-1]
    installed = bool(settings.chromium and shutil.which(settings.chromium))
    if installed:  # the pipeline's own build measured the built-in template, and it passed
        assert first["contrast_skipped"] is None, first["contrast_skipped"]
        assert first["contrast"]["texts_checked"] > 0 and first["contrast"]["focus_checked"] > 0
        assert first["contrast"]["viewports"] == ["desktop", "mobile"]
    else:
        assert first["contrast"] is None and first["contrast_skipped"] == NOT_INSTALLED

    browser = Screenshotter("", settings.work_root / "screenshots")  # no pictures needed here
    gates: dict[str, tuple[ContrastChecker, Any]] = {
        "missing": (ContrastChecker(None, settings.work_root / "contrast"), NOT_INSTALLED),
        "failing": (FailingContrast(None, settings.work_root / "contrast"), None),
    }
    env = ActivityEnvironment()
    for version, (gate, skipped) in enumerate(gates.values(), start=60):
        build = BuildActivities(
            clients.sessions,
            clients.git,
            clients.storage,
            clients.runner,
            settings.templates_dir,
            settings.work_root,
            browser,
            gate,
        )
        outcome = await env.run(build.build_and_test, build_input(version))
        report = (await api.get(f"/api/v1/projects/{created['id']}/builds")).json()[-1]
        assert report["version"] == version
        assert report["contrast_skipped"] == skipped
        if skipped:  # not measured: said so, and the build stands on its other gates
            assert outcome.ok and report["ok"] is True and report["contrast"] is None
        else:  # measured and failed: the fix loop gets the finding like any other
            assert not outcome.ok and outcome.findings and outcome.fixable
            assert report["ok"] is False and report["contrast"]["texts_checked"] == 1
            assert [f["rule"] for f in report["findings"]] == ["contrast"]
            assert report["problems"] == [
                "index.html: 'Opening hours' is 2.10:1 on #888888 "
                "(needs 4.5:1; text #555555, desktop) [contrast]"
            ]
