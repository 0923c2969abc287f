"""
The dashboard and its JSON view: staff only, the numbers the stores keep, and
never a secret's id, passphrase or content anywhere in the admin. /healthz: 200
while the stores answer, 503 when they do not.
"""

import datetime
import json
import re
import uuid
from collections import deque

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ops.chart import nice_ceiling, usage_chart
from ops.report import DAYS
from sharing.stores.base import COUNTERS

PASSWORD = "operator password 1"


@pytest.fixture
def admin_client_(db):
    user = User.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(user)
    return client


# -- who may look --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/ops/", "/admin/ops/usage.json"])
def test_anonymous_users_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"


@pytest.mark.parametrize("path", ["/admin/ops/", "/admin/ops/usage.json"])
def test_accounts_that_are_not_staff_are_sent_to_the_login_page(db, path):
    client = Client()
    client.force_login(User.objects.create_user("someone", password=PASSWORD))
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"


def test_staff_see_the_dashboard_linked_from_the_admin_index(staff):
    assert 'href="/admin/ops/"' in staff.get("/admin/").content.decode()
    page = staff.get("/admin/ops/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert staff.get("/admin/ops/usage.json").status_code == 200


def test_the_admin_login_is_csrf_protected(db):
    User.objects.create_superuser("root", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    credentials = {"username": "root", "password": PASSWORD, "next": "/admin/ops/"}
    assert client.post("/admin/login/", credentials).status_code == 403
    assert client.get("/admin/ops/").status_code == 302  # not logged in by the forged post
    client.get("/admin/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/admin/login/", {**credentials, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/admin/ops/"
    assert client.get("/admin/ops/").status_code == 200


def test_changing_the_numbers_is_not_offered(staff):
    assert staff.post("/admin/ops/").status_code == 405
    assert staff.post("/admin/ops/usage.json").status_code == 405


# -- what they see ---------------------------------------------------------------


def test_the_json_view_holds_the_counts(staff, post_json):
    created = post_json("/api/text/", {"secret": "counted", "view_count": 1}).json()
    reveal = f"/api/secrets/{created['secret_id']}/reveal/"
    assert post_json(reveal, {"passphrase": "not the right one"}).status_code == 404
    assert post_json(reveal, {"passphrase": created["passphrase"]}).status_code == 200
    usage = staff.get("/admin/ops/usage.json").json()
    assert usage["totals"] == {
        **dict.fromkeys(COUNTERS, 0),
        "created_text": 1,
        "views": 1,
        "used_up": 1,
        "failed_attempts": 1,
    }
    assert len(usage["days"]) == DAYS
    assert usage["days"][-1]["views"] == "fewer than 5" and re.fullmatch(
        r"\d{4}-\d\d-\d\d", usage["days"][-1]["day"]
    )
    assert usage["backend"]["records"] == "sharing.stores.local.SQLiteRecordStore"
    assert usage["limits"]["max_views"] == 10
    assert usage["labels"] == dict(COUNTERS)


def test_stored_bytes_at_each_days_end_follow_back_from_the_total(staff, api, isolated_stores):
    upload = SimpleUploadedFile("a.bin", b"z" * 2_600_000, "application/octet-stream")
    assert api.post("/api/files/", {"file": upload}).status_code == 201
    usage = staff.get("/admin/ops/usage.json").json()
    on_disk = sum(p.stat().st_size for p in (isolated_stores / "blobs").iterdir())
    assert on_disk > 2_600_000
    assert usage["totals"]["stored_bytes"] == usage["days"][-1]["stored_bytes_at_end"] == 3_000_000
    assert usage["days"][-2]["stored_bytes_at_end"] == 0


def test_the_page_shows_totals_table_chart_backend_and_limits(staff, post_json):
    for _ in range(3):
        post_json("/api/text/", {"secret": "counted"})
    html = staff.get("/admin/ops/").content.decode()
    # Every counter, in the totals and as a column of the table, under its label.
    for label in COUNTERS.values():
        assert html.count(label) >= 2, label
    header = re.findall(r'<th scope="col" class="num">([^<]*)</th>', html)
    assert header == [*list(COUNTERS.values())[:-1], COUNTERS["stored_bytes"] + " at day's end"]
    assert html.count("<tr>") >= DAYS + 1
    assert "<svg" in html and "Secrets created and views served per day" in html
    assert "fewer than 5 texts and 0 files created" in html
    assert "sharing.stores.local.FileBlobStore" in html
    assert "Limits in force" in html


def test_the_page_keeps_to_the_content_security_policy(staff):
    html = staff.get("/admin/ops/").content.decode()
    assert not re.search(r"\sstyle\s*=", html), "inline style attributes are blocked by the CSP"
    assert not re.search(r"<style", html)
    assert not re.search(r"<script(?![^>]*\ssrc=)", html), "inline scripts are blocked by the CSP"
    external = [u for u in re.findall(r'(?:src|href)="([^"]*)"', html) if u.startswith(("http", "//"))]
    assert external == [], "everything comes from the site itself"


def test_the_chart_scales_to_its_peak():
    assert nice_ceiling(0) == (1, 1)
    assert nice_ceiling(7) == (8, 2)
    assert nice_ceiling(37) == (40, 10)
    assert nice_ceiling(100) == (100, 50)
    days = [
        {"day": datetime.date(2030, 1, d), "created_text": d, "created_file": 1, "views": 2 * d}
        for d in range(1, 31)
    ]
    svg = str(usage_chart(days))
    assert svg.count('class="bar-text"') == 30 + 1  # thirty bars and the legend
    assert ">60<" in svg  # the axis reaches the highest views
    assert "Jan 30" in svg and "Jan 25" in svg and "Jan 29" not in svg


# -- the canary: nothing of a secret reaches any admin page ----------------------

CANARY_TEXT = "CANARY-TEXT-" + uuid.uuid4().hex
CANARY_PASS = "CANARY-PASS-" + uuid.uuid4().hex
CANARY_NAME = "CANARY-NAME-" + uuid.uuid4().hex + ".txt"


def crawl(client, start: list[str], limit: int = 60) -> dict[str, bytes]:
    """GET every /admin/ page reachable from ``start`` (never the logout)."""
    seen, queue, pages = set(start), deque(start), {}
    while queue and len(pages) < limit:
        path = queue.popleft()
        response = client.get(path)
        pages[path] = response.content
        if response.get("Content-Type", "").startswith("text/html"):
            for link in re.findall(r'href="(/admin/[^"#]*)"', response.content.decode()):
                link = link.replace("&amp;", "&")
                if link not in seen and "logout" not in link:
                    seen.add(link)
                    queue.append(link)
    return pages


def test_no_secret_id_passphrase_or_content_reaches_the_admin(admin_client_, api, post_json):
    texts = [
        post_json("/api/text/", {"secret": CANARY_TEXT, "passphrase": CANARY_PASS, "view_count": 2}).json()
        for _ in range(3)
    ]
    upload = SimpleUploadedFile(CANARY_NAME, CANARY_TEXT.encode() * 10, "text/plain")
    file = api.post("/api/files/", {"file": upload, "passphrase": CANARY_PASS}).json()
    legacy = post_json("/encrypt", {"secret": CANARY_TEXT, "view_count": 2}).json()
    post_json(f"/api/secrets/{texts[0]['secret_id']}/reveal/", {"passphrase": CANARY_PASS})
    post_json(f"/api/secrets/{texts[1]['secret_id']}/reveal/", {"passphrase": CANARY_PASS + "?"})
    post_json(f"/api/secrets/{texts[2]['secret_id']}/burn/", {"passphrase": CANARY_PASS})
    post_json("/decrypt", legacy)
    canaries = [CANARY_TEXT, CANARY_PASS, CANARY_NAME, legacy["passphrase"]]
    canaries += [s["secret_id"] for s in [*texts, file, legacy]]

    pages = crawl(admin_client_, ["/admin/", "/admin/ops/", "/admin/ops/usage.json"])
    pages["login (anonymous)"] = Client().get("/admin/login/").content
    assert len(pages) > 8  # the crawl reached the admin's other pages, not just the dashboard
    usage = json.loads(pages["/admin/ops/usage.json"])["totals"]
    assert (usage["created_text"], usage["created_file"], usage["views"]) == (4, 1, 2)
    for where, body in pages.items():
        for canary in canaries:
            assert canary.encode() not in body, (where, canary[:12])


# -- /healthz ------------------------------------------------------------------------


def test_healthz_answers_ok_to_anyone(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.post("/healthz").status_code == 405


def test_healthz_is_503_when_the_record_store_is_broken(client, settings, tmp_path):
    broken = tmp_path / "not-a-database"
    broken.mkdir()  # SQLite cannot open a folder
    settings.SECRETS_STORES = {
        **settings.SECRETS_STORES,
        "records": {"BACKEND": "sharing.stores.local.SQLiteRecordStore", "OPTIONS": {"path": str(broken)}},
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_healthz_is_503_when_the_blob_store_is_broken(client, settings, tmp_path):
    broken = tmp_path / "a-file"
    broken.write_bytes(b"")  # the blob folder is a file
    settings.SECRETS_STORES = {
        **settings.SECRETS_STORES,
        "blobs": {"BACKEND": "sharing.stores.local.FileBlobStore", "OPTIONS": {"root": str(broken)}},
    }
    assert client.get("/healthz").status_code == 503


def test_healthz_is_503_when_the_stores_are_misconfigured(client, settings):
    settings.SECRETS_STORES = {"records": {"BACKEND": "no.such.Store"}, "blobs": {"BACKEND": "no.such.Store"}}
    assert client.get("/healthz").status_code == 503


def test_admin_pages_name_their_origin_and_the_rest_of_the_site_stays_silent(client):
    # Under no-referrer a browser posts forms with "Origin: null", which fails the CSRF check.
    assert client.get("/admin/login/")["Referrer-Policy"] == "same-origin"
    assert client.get("/admin/ops/")["Referrer-Policy"] == "same-origin"
    assert client.get("/")["Referrer-Policy"] == "no-referrer"
    assert client.get("/healthz")["Referrer-Policy"] == "no-referrer"


def test_a_login_posted_with_a_null_origin_is_refused(db):
    User.objects.create_superuser("root", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    client.get("/admin/login/")
    form = {
        "username": "root",
        "password": PASSWORD,
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }
    assert client.post("/admin/login/", form, HTTP_ORIGIN="null").status_code == 403
    assert client.post("/admin/login/", form, HTTP_ORIGIN="http://testserver").status_code == 302


def test_the_page_and_json_show_the_operators_choices(staff, chosen):
    html = staff.get("/admin/ops/").content.decode()
    assert "<td>30 minutes, 12 hours, 2 days, 5 days</td>" in html
    assert '<th scope="row">Default lifetime</th><td>2 days</td>' in html
    assert '<th scope="row">Default views</th><td>3</td>' in html
    assert "<td>Acme Vault</td>" in html
    limits = staff.get("/admin/ops/usage.json").json()["limits"]
    assert (limits["lifetimes"], limits["default_lifetime"], limits["default_views"]) == (
        [1800, 43200, 172800, 432000],
        172800,
        3,
    )
    assert limits["site_name"] == "Acme Vault"
