"""Per-client limits on creates and passphrase attempts, shared by all workers through the cache."""

import pytest


@pytest.fixture
def throttled(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "c"),
        }
    }
    settings.THROTTLE_RATES = {"create": "3/minute", "reveal": "2/minute"}
    return settings


def test_creates_past_the_rate_get_429_with_retry_after(throttled, post_json):
    for _ in range(3):
        assert post_json("/api/text/", {"secret": "s"}).status_code == 201
    response = post_json("/encrypt", {"secret": "s"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "throttled"


def test_reveal_attempts_are_limited_across_both_route_sets(throttled, post_json):
    body = {"passphrase": "guessing guessing"}
    assert post_json("/api/secrets/AAAAAAAAAAAAAAAA/reveal/", body).status_code == 404
    assert post_json("/decrypt", {**body, "secret_id": "AAAAAAAAAAAAAAAA"}).status_code == 404
    assert post_json("/api/secrets/AAAAAAAAAAAAAAAA/burn/", body).status_code == 429
    assert post_json("/decrypt", {**body, "secret_id": "AAAAAAAAAAAAAAAA"}).status_code == 429


def test_a_forged_forwarded_for_changes_nothing(throttled, post_json):
    for n in range(3):
        assert post_json("/api/text/", {"secret": "s"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code == 201
    assert post_json("/api/text/", {"secret": "s"}, HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 429


def test_trusted_proxy_forwarded_for_separates_clients(throttled, post_json):
    throttled.REST_FRAMEWORK = {**throttled.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(3):
        assert (
            post_json("/api/text/", {"secret": "s"}, HTTP_X_FORWARDED_FOR="spoof, 192.0.2.1").status_code
            == 201
        )
    assert (
        post_json("/api/text/", {"secret": "s"}, HTTP_X_FORWARDED_FOR="spoof, 192.0.2.1").status_code == 429
    )
    # Only the address our own proxy appended counts; what the client wrote before it does not.
    assert (
        post_json("/api/text/", {"secret": "s"}, HTTP_X_FORWARDED_FOR="192.0.2.1, 192.0.2.2").status_code
        == 201
    )


def test_pages_and_schema_are_not_throttled(throttled, api):
    for _ in range(5):
        assert api.get("/api/schema/").status_code == 200
