"""Bad input is a 4xx naming what is wrong; storage failure is a 503; never a traceback."""

import pytest

from sharing.errors import StorageUnavailable


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "secret"),
        ({"secret": ""}, "secret"),
        ({"secret": None}, "secret"),
        ({"secret": 12345}, "secret"),
        ({"secret": ["a"]}, "secret"),
        ({"secret": "s", "view_count": 0}, "view_count"),
        ({"secret": "s", "view_count": 11}, "view_count"),
        ({"secret": "s", "view_count": "many"}, "view_count"),
        ({"secret": "s", "view_count": 1.5}, "view_count"),
        ({"secret": "s", "view_count": True}, "view_count"),
        ({"secret": "s", "lifetime": 299}, "lifetime"),
        ({"secret": "s", "lifetime": 5 * 86400 + 1}, "lifetime"),
        ({"secret": "s", "passphrase": "too short"}, "passphrase"),
        ({"secret": "s", "passphrase": 123456789012345}, "passphrase"),
        # The form of a generated passphrase, which is keyed without stretching.
        ({"secret": "s", "passphrase": "iT95_B9p9PSMcP-hH9OGS81w9FZVTEWY"}, "passphrase"),
    ],
)
@pytest.mark.parametrize("route", ["/encrypt", "/api/text/"])
def test_bad_create_input_is_400_naming_the_field(post_json, route, body, field):
    response = post_json(route, body)
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert error["fields"][field][0]
    assert field in error["detail"]


@pytest.mark.parametrize("body", ["{not json", '{"secret": "s",}', "[1, 2", "\xff\xfe"])
@pytest.mark.parametrize(
    "route", ["/encrypt", "/decrypt", "/api/text/", "/api/secrets/AAAAAAAAAAAAAAAA/reveal/"]
)
def test_malformed_json_is_400(post_json, route, body):
    response = post_json(route, body)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("route", ["/decrypt", "/api/secrets/AAAAAAAAAAAAAAAA/reveal/"])
def test_reveal_needs_a_passphrase(post_json, route):
    response = post_json(route, {"secret_id": "AAAAAAAAAAAAAAAA"})
    assert response.status_code == 400
    assert "passphrase" in response.json()["fields"]


def test_json_body_that_is_not_an_object_is_400(post_json):
    response = post_json("/api/text/", "[1, 2, 3]")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_text_over_the_limit_is_413(post_json):
    response = post_json("/api/text/", {"secret": "x" * (64 * 1024 + 1)})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_body_far_over_the_limit_is_413_before_parsing(post_json):
    response = post_json("/encrypt", {"secret": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_unsupported_media_type_is_415(api):
    response = api.post("/api/text/", "secret=s", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "route", ["/encrypt", "/decrypt", "/api/text/", "/api/secrets/AAAAAAAAAAAAAAAA/reveal/"]
)
def test_wrong_method_is_405(api, method, route):
    response = getattr(api, method)(route)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_unknown_path_is_json_404(api):
    response = api.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/encrypt", {"secret": "s"}),
        ("/api/text/", {"secret": "s"}),
        ("/decrypt", {"secret_id": "AAAAAAAAAAAAAAAA", "passphrase": "p" * 32}),
        ("/api/secrets/AAAAAAAAAAAAAAAA/reveal/", {"passphrase": "p" * 32}),
        ("/api/secrets/AAAAAAAAAAAAAAAA/burn/", {"passphrase": "p" * 32}),
    ],
)
def test_storage_failure_is_503_json(post_json, monkeypatch, route, body):
    from sharing.stores.local import SQLiteRecordStore

    def broken(*args, **kwargs):
        raise StorageUnavailable()

    for name in ("put", "get", "reserve_attempt", "claim_view", "delete"):
        monkeypatch.setattr(SQLiteRecordStore, name, broken)
    response = post_json(route, body)
    assert response.status_code == 503
    assert response.json() == {
        "detail": "Storage is unavailable right now; please try again shortly.",
        "code": "storage_unavailable",
    }


def test_unreadable_database_is_503_not_500(post_json, settings, tmp_path):
    (tmp_path / "not-a-db").write_bytes(b"this is not a sqlite database" * 100)
    settings.SECRETS_STORES = {
        **settings.SECRETS_STORES,
        "records": {
            "BACKEND": "sharing.stores.local.SQLiteRecordStore",
            "OPTIONS": {"path": str(tmp_path / "not-a-db")},
        },
    }
    response = post_json("/api/text/", {"secret": "s"})
    assert response.status_code == 503


def test_unexpected_error_is_a_plain_json_500_without_traceback(post_json, monkeypatch):
    from sharing import services

    def crash(**kwargs):
        raise RuntimeError("secret detail that must not leak")

    monkeypatch.setattr(services, "secret_create_text", crash)
    response = post_json("/api/text/", {"secret": "s"})
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert b"secret detail" not in response.content and b"Traceback" not in response.content
