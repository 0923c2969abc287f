"""
Nothing leaks: canary secrets, passphrases, file names and ids are pushed
through every path of a real server logging at DEBUG, then searched for in its
logs, its data folder and every answer that was not meant to carry them.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import path

from secrets_site.urls import urlpatterns as site_urls
from sharing.checks import SECURITY_HEADERS, security_headers_installed
from sharing.middleware import cache_policy
from tests.support.http import file_form, send
from tests.support.server import ROOT, GunicornServer

CANARY_TEXT = "CANARY-TEXT-" + uuid.uuid4().hex
CANARY_PASS = "CANARY-PASS-" + uuid.uuid4().hex
CANARY_FILE = ("CANARY-FILE-" + uuid.uuid4().hex).encode() * 1000
CANARY_NAME = "CANARY-NAME-" + uuid.uuid4().hex + ".txt"


@pytest.mark.slow
def test_no_canary_reaches_logs_disk_or_error_pages():
    ids, error_bodies = [], []
    with GunicornServer({"LOG_LEVEL": "DEBUG", "MAX_TEXT_BYTES": "1000"}) as server:
        url = server.url
        # A text with its own passphrase: create, a wrong guess, reveal, reveal again (gone).
        status, _, body = send(url + "/api/text/", {"secret": CANARY_TEXT, "passphrase": CANARY_PASS})
        created = json.loads(body)
        ids.append(created["secret_id"])
        reveal = f"{url}/api/secrets/{created['secret_id']}/reveal/"
        error_bodies.append(send(reveal, {"passphrase": CANARY_PASS + "x"})[2])
        assert json.loads(send(reveal, {"passphrase": CANARY_PASS})[2])["data"] == CANARY_TEXT
        error_bodies.append(send(reveal, {"passphrase": CANARY_PASS})[2])
        # The original routes, text and file, plus the reveal page.
        status, _, body = send(url + "/encrypt", {"secret": CANARY_TEXT, "view_count": 2})
        legacy = json.loads(body)
        ids.append(legacy["secret_id"])
        assert send(url + "/decrypt", legacy)[0] == 200
        error_bodies.append(send(url + "/decrypt", {**legacy, "passphrase": CANARY_PASS})[2])
        assert send(url + f"/secret/{legacy['secret_id']}", method="GET")[0] == 200
        data, content_type = file_form(CANARY_FILE, CANARY_NAME, view_count="2", passphrase=CANARY_PASS)
        status, _, body = send(url + "/api/files/", data, content_type=content_type)
        assert status == 201
        file_id = json.loads(body)["secret_id"]
        ids.append(file_id)
        _, _, body = send(f"{url}/api/files/{file_id}/reveal/", {"passphrase": CANARY_PASS})
        assert body == CANARY_FILE
        # Error paths that echo input back if anything does.
        error_bodies += [
            send(url + "/api/text/", b'{"secret": "' + CANARY_TEXT.encode() + b'", bad json')[2],
            send(url + "/api/text/", {"secret": CANARY_TEXT * 100})[2],
            send(url + "/api/text/", {"secret": CANARY_TEXT, "view_count": CANARY_PASS})[2],
            send(url + "/api/text/", {"secret": CANARY_TEXT, "passphrase": "short"})[2],
            send(url + f"/api/secrets/{file_id}/reveal/", {"passphrase": 5})[2],
            send(url + "/nowhere", method="GET")[2],
            send(url + "/decrypt", {"secret_id": CANARY_PASS, "passphrase": CANARY_PASS})[2],
        ]
        data_dir = Path(server.data_dir)
        on_disk = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
        server.stop()
        log = server.log()

    assert "GET /secret/#" in log and "POST /api/secrets/#" in log  # requests are logged, ids hashed
    for canary in (CANARY_TEXT, CANARY_PASS, CANARY_FILE.decode()[:40], CANARY_NAME):
        assert canary not in log
        assert canary.encode() not in on_disk
        for body in error_bodies:
            assert canary.encode() not in body
    for secret_id in ids:
        assert secret_id not in log


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "HTTPS": "True",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "secrets.example.com",
    }
    check = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(check, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    without_tls = subprocess.run(
        check, cwd=ROOT, env={**env, "HTTPS": "False"}, capture_output=True, text=True
    )
    assert without_tls.returncode != 0 and "SECURE_HSTS_SECONDS" in without_tls.stderr


HEADERS = {
    "Content-Security-Policy": "default-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "no_store"),
    [
        ("get", "/", None, 200, True),
        ("get", "/secret/AAAAAAAAAAAAAAAA", None, 200, True),
        ("get", "/api/schema/", None, 200, True),
        ("get", "/api/docs/", None, 200, True),
        ("post", "/api/text/", {"secret": "s"}, 201, True),
        ("post", "/api/text/", {}, 400, True),
        ("post", "/decrypt", {"secret_id": "AAAAAAAAAAAAAAAA", "passphrase": "p" * 20}, 404, True),
        ("get", "/missing", None, 404, True),
        ("get", "/api/text/", None, 405, True),
    ],
)
def test_every_response_carries_the_security_headers(api, method, path, body, status, no_store):
    response = (
        getattr(api, method)(path, body, format="json") if body is not None else getattr(api, method)(path)
    )
    assert response.status_code == status
    for name, value in HEADERS.items():
        assert value in response[name], name
    assert ("no-store" in response.get("Cache-Control", "")) is no_store


def test_static_files_carry_the_headers_and_are_cacheable(api):
    page = api.get("/").content.decode()
    css = page.split('href="', 2)[2].split('"', 1)[0] if 'rel="stylesheet"' in page else None
    assert css and css.startswith("/static/")
    response = api.get(css)
    assert response.status_code == 200
    for name, value in HEADERS.items():
        assert value in response[name], name
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_web_ui_modules_import_each_other_by_hashed_name(api):
    # A cached module from an older release must never meet a newer app.js:
    # each import names the file by its content hash, and that file is served.
    page = api.get("/").content.decode()
    entry = re.search(r'<script type="module" src="(/static/app\.[0-9a-f]{12}\.js)"', page).group(1)
    # The pages name the modules app.js loads for them (their own, the end-to-end format's).
    pages = page + api.get("/e/AAAAAAAAAAAAAAAA").content.decode()
    loaded = re.findall(r'data-[a-z0-9-]+-module="(/static/[^"]+)"', pages)
    assert {re.sub(r"\.[0-9a-f]{12}", "", url) for url in loaded} == {
        "/static/create.js",
        "/static/reveal.js",
        "/static/e2e.js",
    }
    for url in loaded:
        assert re.fullmatch(r"/static/[\w-]+\.[0-9a-f]{12}\.js", url), f"a page loads {url} by its plain name"
    seen, queue = set(), [entry, *loaded]
    while queue:
        url = queue.pop()
        response = api.get(url)
        assert response.status_code == 200, url
        seen.add(url)
        source = b"".join(response.streaming_content).decode()
        for name in re.findall(r"""(?:import|from)\s*["']\./([^"']+)["']""", source):
            assert re.fullmatch(r"[\w-]+\.[0-9a-f]{12}\.js", name), f"{url} imports {name} by its plain name"
            if f"/static/{name}" not in seen:
                queue.append(f"/static/{name}")
    assert len(seen) >= 4  # app.js and the modules of its pages


def asks_to_be_cached(request):
    return cache_policy(HttpResponse("public"), "public, max-age=300")


def caches_itself(request):
    return HttpResponse("public", headers={"Cache-Control": "public, max-age=300"})


urlpatterns = [path("asks", asks_to_be_cached), path("caches-itself", caches_itself), *site_urls]


def test_a_response_gets_another_cache_policy_only_by_asking(api, settings):
    settings.ROOT_URLCONF = __name__
    asked = api.get("/asks")
    assert asked["Cache-Control"] == "public, max-age=300"
    assert asked["Content-Security-Policy"].startswith("default-src 'self'")
    # A Cache-Control written by the view itself is not a request: no-store wins.
    assert api.get("/caches-itself")["Cache-Control"] == "no-store, private, max-age=0"


def test_the_start_up_checks_refuse_a_site_without_the_security_headers(settings):
    assert security_headers_installed() == []
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != SECURITY_HEADERS]
    assert [e.id for e in security_headers_installed()] == ["pysecrets.E001"]
