"""
POSTs a browser marks as coming from another site are refused (403) before
anything is read, derived or stored; scripts (no such headers) and the
service's own pages are served as before.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sharing.domain import crypto
from sharing.services import usage_counts

CROSS_SITE = {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://attacker.example"}
FOREIGN_ORIGINS = [
    {"HTTP_ORIGIN": "https://attacker.example"},
    {"HTTP_ORIGIN": "null"},  # a sandboxed frame, in a browser that sends no Sec-Fetch-Site
    {"HTTP_ORIGIN": "https://testserver"},  # another scheme is another origin
    {"HTTP_ORIGIN": "http://testserver:8080"},
    {"HTTP_SEC_FETCH_SITE": "cross-site"},
]
ALLOWED = [
    {},  # curl, scripts, the command-line client
    {"HTTP_ORIGIN": "http://testserver"},
    {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "http://testserver"},
    # The service's own pages are served with no-referrer, under which a browser's fetch sends "null".
    {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "null"},
    {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "http://www.testserver"},
    {"HTTP_SEC_FETCH_SITE": "none"},  # typed or bookmarked by the user
]


@pytest.fixture
def derivations(monkeypatch):
    calls = []
    real = crypto.derive_key

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(crypto, "derive_key", counting)
    return calls


@pytest.fixture
def created(post_json):
    return post_json("/api/text/", {"secret": "s3cret", "view_count": 2}).json()


def assert_refused(response):
    assert response.status_code == 403
    assert response.json()["code"] == "cross_site"


@pytest.mark.parametrize("headers", FOREIGN_ORIGINS)
def test_creates_from_another_site_are_refused_and_store_nothing(
    api, post_json, derivations, isolated_stores, headers
):
    assert_refused(post_json("/encrypt", {"secret": "s"}, **headers))
    assert_refused(post_json("/api/text/", {"secret": "s"}, **headers))
    assert_refused(api.post("/api/files/", {"file": SimpleUploadedFile("f.txt", b"body")}, **headers))
    assert_refused(api.post("/encrypt", {"file": SimpleUploadedFile("f.txt", b"body")}, **headers))
    assert derivations == []
    blobs = isolated_stores / "blobs"
    assert not blobs.exists() or list(blobs.iterdir()) == []
    counts = usage_counts(days=1).totals
    assert counts["created_text"] == counts["created_file"] == 0


@pytest.mark.parametrize("headers", FOREIGN_ORIGINS)
def test_reveals_and_burns_from_another_site_are_refused_and_change_nothing(
    post_json, created, derivations, headers
):
    secret_id, passphrase = created["secret_id"], created["passphrase"]
    wrong = {"passphrase": "not the passphrase"}
    for route in ("secrets", "text"):
        for action in ("reveal", "burn"):
            for body in ({"passphrase": passphrase}, wrong):
                assert_refused(post_json(f"/api/{route}/{secret_id}/{action}/", body, **headers))
    assert_refused(post_json("/decrypt", {"secret_id": secret_id, "passphrase": passphrase}, **headers))
    assert derivations == []
    assert usage_counts(days=1).totals["failed_attempts"] == 0
    first = post_json(f"/api/secrets/{secret_id}/reveal/", {"passphrase": passphrase})
    assert first.json()["views_left"] == 1


def test_a_cross_site_form_post_of_the_original_kind_is_refused(api, created):
    body = f"secret_id={created['secret_id']}&passphrase={created['passphrase']}"
    response = api.generic("POST", "/decrypt", body, "text/plain", **CROSS_SITE)
    assert_refused(response)


@pytest.mark.parametrize("headers", ALLOWED)
def test_scripts_and_the_services_own_pages_are_served(post_json, created, headers):
    assert post_json("/api/text/", {"secret": "s"}, **headers).status_code == 201
    assert post_json("/encrypt", {"secret": "s"}, **headers).status_code == 200
    reveal = post_json(
        "/decrypt", {"secret_id": created["secret_id"], "passphrase": created["passphrase"]}, **headers
    )
    assert reveal.status_code == 200


def test_reading_from_another_site_is_not_refused(api, created):
    assert api.get(f"/secret/{created['secret_id']}", **CROSS_SITE).status_code == 200
    assert api.get("/api/schema/", **CROSS_SITE).status_code == 200
