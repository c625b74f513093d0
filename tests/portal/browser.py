"""Headless Chromium (Debian's, offline) for the portal's browser tests, with axe-core on
each page and a screenshot of each screen kept as a test artifact."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NEEDS_CHROMIUM = pytest.mark.skipif(
    CHROMIUM is None,
    reason="the portal's browser tests need Chromium: apt install chromium (CI installs it)",
)
# Screenshots of each screen: under the test run's artifacts, or SITEGEN_SCREENSHOTS.
SHOTS = Path(os.environ.get("SITEGEN_SCREENSHOTS", ".sitegen/test-artifacts/portal"))


@asynccontextmanager
async def chromium_page(base_url: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        context = await browser.new_context(
            base_url=base_url, viewport={"width": 1100, "height": 900}, locale="en-GB"
        )
        context.set_default_timeout(20_000)
        try:
            yield await context.new_page()
        finally:
            await browser.close()


async def check_axe(page: Any, screen: str) -> None:
    """No axe-core violation on the page as it is, and a screenshot of it."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page, options={"iframes": False})  # the preview is judged elsewhere
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{screen}.png"), full_page=True)
    violations = results.response["violations"]
    assert violations == [], f"{screen}: " + "; ".join(
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']][:3]})" for v in violations
    )
