"""The browser: Debian's Chromium, headless and offline, for screenshots of built sites."""

from sitegen.integrations.browser.screenshots import (
    DEFAULT_SIZES,
    Screenshot,
    Screenshotter,
    ScreenSize,
    Skipped,
)

__all__ = ["DEFAULT_SIZES", "ScreenSize", "Screenshot", "Screenshotter", "Skipped"]
