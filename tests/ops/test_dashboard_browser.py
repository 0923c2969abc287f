"""
The dashboard in Debian's Chromium, under the site's real CSP: an operator logs
in, follows the link from the admin index, and sees totals, chart and table
with nothing refused by the policy. Leaves artifacts/screenshots/dashboard.png
for people to look at.
"""

import json
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sharing.stores.local import SQLiteRecordStore
from tests.support.server import GunicornServer

PASSWORD = "operator password 1"
DAY = 86400


def seed_history(data_dir: str) -> None:
    """A month of plausible counts, so the chart and table have something to show."""
    store = SQLiteRecordStore(path=str(Path(data_dir) / "secrets.sqlite3"))
    now = time.time()
    for back in range(29, 0, -1):
        wave = (back * 7) % 11
        store.add_counts(
            {
                "created_text": 3 + wave,
                "created_file": wave // 3,
                "views": 4 + wave + back % 5,
                "used_up": 2 + wave // 2,
                "burned": back % 3,
                "expired": 1 + back % 4,
                "failed_attempts": back % 6,
                "stored_bytes": (wave // 3) * 180_000 - (back % 2) * 90_000,
            },
            now=now - back * DAY,
        )
    store.close()


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


@pytest.mark.slow
def test_an_operator_logs_in_and_sees_the_dashboard(browser, shoot, static_files):
    server = GunicornServer(
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD, "DJANGO_SUPERUSER_EMAIL": "ops@example.com"}
    )
    server.manage("migrate", "--noinput", "-v", "0")
    server.manage("createsuperuser", "--noinput", "--username", "operator")
    server.manage("setup_storage")
    seed_history(server.data_dir)
    with server:
        for n in range(4):
            created = post(server.url + "/api/text/", {"secret": f"today {n}", "view_count": 2})
            post(
                f"{server.url}/api/secrets/{created['secret_id']}/reveal/",
                {"passphrase": created["passphrase"]},
            )

        page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 900})
        problems = []
        # The admin's pages name no icon, so the browser's own /favicon.ico guess 404s: not ours.
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and not m.location["url"].endswith("/favicon.ico")
                and problems.append(m.text)
            ),
        )
        page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
        page.goto("/admin/")
        page.get_by_label("Username").fill("operator")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Usage dashboard").click()
        expect(page.get_by_role("heading", name="Usage")).to_be_visible()
        expect(page.get_by_role("img", name="Secrets created and views served per day")).to_be_visible()
        expect(page.locator(".ops-total dd").first).to_have_text("243")  # texts created: seeded 239 + 4
        # The stylesheet applied (nothing inline was needed or refused).
        assert page.evaluate("getComputedStyle(document.querySelector('.ops-totals')).display") == "grid"
        shoot(page, "dashboard")
        assert problems == []  # CSP refusals would show here
        page.close()
