"""The built-in templates pass the rendered-contrast gate: text and focus rings as Chromium
paints them, every page, desktop and phone. One site per template and the palettes that are
hardest to keep readable (bright yellow, pale lilac), to stay within a minute."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitegen.integrations.ai.planning import available_pages
from sitegen.integrations.browser.contrast import ContrastChecker, ContrastReport
from sitegen.integrations.browser.screenshots import NOT_INSTALLED
from sitegen.settings import Settings
from sitegen.templates_registry import load_template
from tests.test_templates import EXAMPLES_DIR, TEMPLATES, build, load_example, run_chain

CONFIGURED = Settings().chromium
CHROMIUM = shutil.which(CONFIGURED) if CONFIGURED else None

SITES = [
    ("landing", "sunflower-cafe.json"),
    ("landing", "atelier-lumiere.json"),
    ("saas", "saas/tally-invoicing.json"),
    ("saas", "sunflower-cafe.json"),
    ("portfolio", "portfolio/estudio-marina-costa.json"),
    ("portfolio", "atelier-lumiere.json"),
]


@pytest.mark.skipif(
    CHROMIUM is None, reason=f"{NOT_INSTALLED} (or set SITEGEN_CHROMIUM to its path)"
)
@pytest.mark.parametrize(
    ("template_id", "example"), SITES, ids=[f"{t}-{Path(e).stem}" for t, e in SITES]
)
async def test_built_in_sites_pass_as_rendered(
    template_id: str, example: str, tmp_path: Path
) -> None:
    onboarding = load_example(EXAMPLES_DIR / example)
    pages = available_pages(load_template(TEMPLATES, template_id), onboarding)
    onboarding = onboarding.model_copy(update={"pages": pages})
    chain = await run_chain(onboarding, tmp_path / "repo", template_id=template_id)
    result = build(chain.repo, chain.template)
    assert result.returncode == 0, result.stderr

    report = await ContrastChecker(CHROMIUM, tmp_path / "work").check(
        chain.repo / chain.template.output_dir
    )
    assert isinstance(report, ContrastReport), report
    assert [str(f) for f in report.findings] == []
    # Measured, not waved through: every text and ring of these templates is measurable.
    assert report.checked > 100 and report.focus_checked > 50
    assert report.unchecked == 0 and report.focus_unchecked == 0, report.unchecked_samples
