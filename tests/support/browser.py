"""
One headless Chromium for the whole session: Debian's package driven by
Playwright, never a downloaded browser. Playwright's sync API allows one
instance per thread, so every browser test shares this fixture.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# How long an assertion on a page waits for it to come true (Playwright's own
# default is 5 s): a loaded machine answers late, and a wait ends as soon as the
# page is right, so only a failing test pays it.
EXPECT_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    # launch() gives every run a fresh temporary profile (user-data-dir) of its own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts():
    """A git-ignored folder for what people look at after a run."""
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def shoot(artifacts):
    """Saves a full-page screenshot under artifacts/screenshots/."""
    return lambda page, name: page.screenshot(path=artifacts / "screenshots" / f"{name}.png", full_page=True)
