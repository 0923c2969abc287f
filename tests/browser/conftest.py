"""
End-to-end fixtures: the real server under gunicorn, and pages in the
session's Chromium (``browser``, ``artifacts`` and ``shoot``, from
tests.support.browser).
"""

import subprocess
from pathlib import Path

import pytest

from tests.support.server import GunicornServer

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

# A small lifetime ceiling so the page has to cut its choices off at it.
TTL_DAYS = 2


@pytest.fixture(scope="session")
def base_url(static_files):
    server = GunicornServer(env={"TTL_DAYS": str(TTL_DAYS)}, workers=2)
    with server:
        yield server.url


@pytest.fixture(scope="session")
def ttl_days():
    return TTL_DAYS


class Console:
    """Everything a page complains about: console errors, uncaught exceptions, CSP violations."""

    def __init__(self, page):
        self.problems = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))


@pytest.fixture
def context(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport=VIEWPORTS["desktop"], accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.console = Console(page)
    page.set_default_timeout(15_000)
    yield page


@pytest.fixture
def http(context):
    """Plain HTTP calls, as scripts and link previewers make them, outside the page."""
    return context.request


@pytest.fixture
def create_text(http):
    """Creates a text secret through the API; returns its id, passphrase and terms."""

    def create(text="correct horse battery staple", **fields):
        response = http.post("/api/text/", data={"secret": text, **fields})
        assert response.status == 201, response.text()
        return response.json()

    return create


@pytest.fixture
def reveal_by_api(http):
    """Reveals a secret made by ``create_text`` through the API; returns the response."""
    return lambda secret: http.post(
        f"/api/secrets/{secret['secret_id']}/reveal/", data={"passphrase": secret["passphrase"]}
    )


@pytest.fixture(scope="session")
def viewports():
    return VIEWPORTS


@pytest.fixture(scope="session")
def node_modules():
    """What the tests inject into pages (axe-core, jsQR), as package-lock.json pins them.

    The same idempotent step `make test` runs, so a test run on its own finds them too.
    """
    root = Path(__file__).resolve().parents[2]
    subprocess.run(["sh", "scripts/install-js-deps.sh"], cwd=root, check=True)
    return root / "node_modules"
