"""Debian's Chromium driven by Playwright, and screenshots under test-output/."""

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
OUTPUT_ROOT = Path(__file__).resolve().parents[2] / "test-output" / "ui"
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium from Debian's package; never a downloaded browser build."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Screenshots:
    """Saves full-page screenshots of one test under test-output/ui/<test>/."""

    folder: Path

    def take(self, page: Page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def screenshots_for(node_name: str) -> Screenshots:
    folder = OUTPUT_ROOT / re.sub(r"[^A-Za-z0-9_.-]+", "_", node_name)
    folder.mkdir(parents=True, exist_ok=True)
    return Screenshots(folder)
