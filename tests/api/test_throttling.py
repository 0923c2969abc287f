"""
Per-client limits on creates and passphrase attempts: shared by every worker
through a file in DATA_DIR, or by every machine through Redis (REDIS_URL).
"""

import pytest


@pytest.fixture(params=["sqlite", "redis"])
def throttled(request, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.REDIS_URL = request.getfixturevalue("fresh_redis") if request.param == "redis" else ""
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


def test_an_ipv6_client_is_limited_per_64(throttled, post_json):
    throttled.REST_FRAMEWORK = {**throttled.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for host in ("1", "2", "ffff:ffff:ffff:ffff"):
        forwarded = f"2001:db8:aa:bb::{host}" if ":" not in host else f"2001:db8:aa:bb:{host}"
        assert post_json("/api/text/", {"secret": "s"}, HTTP_X_FORWARDED_FOR=forwarded).status_code == 201
    assert (
        post_json("/api/text/", {"secret": "s"}, HTTP_X_FORWARDED_FOR="2001:db8:aa:bb::9").status_code == 429
    )
    # The next /64 is another subscriber.
    assert (
        post_json("/api/text/", {"secret": "s"}, HTTP_X_FORWARDED_FOR="2001:db8:aa:bc::1").status_code == 201
    )


def test_an_ipv4_mapped_address_is_the_ipv4_client(throttled, post_json):
    throttled.REST_FRAMEWORK = {**throttled.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(3):
        assert post_json("/api/text/", {"secret": "s"}, HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 201
    assert (
        post_json("/api/text/", {"secret": "s"}, HTTP_X_FORWARDED_FOR="::ffff:192.0.2.7").status_code == 429
    )


def test_many_clients_do_not_push_each_other_out(throttled, post_json):
    """Thousands of other clients' windows must not make room for one client's next guesses."""
    throttled.REST_FRAMEWORK = {**throttled.REST_FRAMEWORK, "NUM_PROXIES": 1}
    throttled.THROTTLE_RATES = {"create": None, "reveal": "2/minute"}
    body = {"passphrase": "guessing guessing"}
    url = "/api/secrets/AAAAAAAAAAAAAAAA/reveal/"
    for _ in range(2):
        assert post_json(url, body, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 404
    from django.conf import settings

    from sharing.api.throttles import RevealRateThrottle
    from sharing.ratelimit import hit_window

    window = hit_window(settings.REDIS_URL, settings.DATA_DIR)
    for n in range(2000):
        window.hit(
            f"{RevealRateThrottle.scope}:10.{n // 65536}.{n // 256 % 256}.{n % 256}", limit=2, window=60
        )
    assert post_json(url, body, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429


def test_an_unreachable_throttle_store_answers_503_and_tries_nothing(settings, post_json):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    settings.THROTTLE_RATES = {"create": "3/minute", "reveal": "2/minute"}
    response = post_json("/api/text/", {"secret": "s"})
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"


def test_each_data_dir_keeps_its_own_windows(settings, post_json, tmp_path):
    # The window for a configuration is found once; a changed DATA_DIR is another one.
    settings.REDIS_URL = ""
    settings.THROTTLE_RATES = {"create": "1/minute", "reveal": None}
    for name in ("one", "two"):
        settings.DATA_DIR = tmp_path / name
        assert post_json("/api/text/", {"secret": "s"}).status_code == 201
        assert post_json("/api/text/", {"secret": "s"}).status_code == 429
        assert (tmp_path / name / "throttles.sqlite3").exists()
