"""
Receipts through the resource API: every create hands one out; it reads the
secret's state without being a view, revokes it without the passphrase, and
outlives the secret as a tombstone until the original expiry.
"""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import override_settings

from tests.support.http import file_form

START = datetime(2030, 1, 1, tzinfo=UTC)
FIELDS = {"state", "view_count", "views_taken", "views_left", "created_at", "expires_at", "last_viewed_at"}


def create(post_json, **body):
    response = post_json("/api/text/", {"secret": "hunter2 is my password", **body})
    assert response.status_code == 201, response.content
    return response.json()


def receipt(api, created):
    response = api.get(f"/api/receipts/{created['receipt']}/")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store, private, max-age=0"
    return response.json()


def reveal(post_json, created, passphrase=None):
    return post_json(
        f"/api/secrets/{created['secret_id']}/reveal/", {"passphrase": passphrase or created["passphrase"]}
    )


def test_every_create_answers_a_receipt_and_its_page(post_json, api):
    created = create(post_json)
    assert len(created["receipt"]) >= 22  # at least 128 bits in base64url
    assert created["receipt_url"] == f"http://testserver/receipt/{created['receipt']}"
    data, content_type = file_form(b"file body")
    file_created = api.post("/api/files/", data, content_type=content_type).json()
    assert file_created["receipt"] not in (created["receipt"], None)


def test_the_original_encrypt_answer_is_unchanged(post_json):
    answer = post_json("/encrypt", {"secret": "old script", "view_count": 1})
    assert answer.status_code == 200
    assert list(json.loads(answer.content)) == ["secret_id", "passphrase"]


def test_a_receipt_follows_the_secret_from_unread_to_used_up(post_json, api):
    with time_machine.travel(START, tick=False) as clock:
        created = create(post_json, view_count=2, lifetime=3600)
        status = receipt(api, created)
        assert set(status) == FIELDS
        assert status == {
            "state": "unread",
            "view_count": 2,
            "views_taken": 0,
            "views_left": 2,
            "created_at": "2030-01-01T00:00:00Z",
            "expires_at": "2030-01-01T01:00:00Z",
            "last_viewed_at": None,
        }
        clock.shift(60)
        assert reveal(post_json, created).status_code == 200
        status = receipt(api, created)
        assert (status["state"], status["views_taken"], status["views_left"]) == ("viewed", 1, 1)
        assert status["last_viewed_at"] == "2030-01-01T00:01:00Z"
        clock.shift(60)
        assert reveal(post_json, created).status_code == 200
        status = receipt(api, created)
        assert (status["state"], status["views_taken"], status["views_left"]) == ("used_up", 2, 0)
        assert status["last_viewed_at"] == "2030-01-01T00:02:00Z"
        clock.shift(3600 - 120 - 1)
        assert receipt(api, created)["state"] == "used_up"  # the tombstone lasts until the original expiry
        clock.shift(1)
        assert api.get(f"/api/receipts/{created['receipt']}/").status_code == 404


def test_a_lookup_is_not_a_view_and_a_wrong_passphrase_is_not_one_either(post_json, api):
    created = create(post_json)
    for _ in range(3):
        assert receipt(api, created)["state"] == "unread"
    assert reveal(post_json, created, "not the passphrase at all").status_code == 404
    assert receipt(api, created)["state"] == "unread"
    assert reveal(post_json, created).json()["data"] == "hunter2 is my password"


def test_nothing_secret_is_in_the_answer(post_json, api):
    created = create(post_json, passphrase="a passphrase I chose")
    body = api.get(f"/api/receipts/{created['receipt']}/").content.decode()
    for leak in (created["secret_id"], "a passphrase I chose", "hunter2", created["receipt"]):
        assert leak not in body


def test_revoking_burns_it_without_the_passphrase(post_json, api):
    created = create(post_json, view_count=3)
    revoked = post_json(f"/api/receipts/{created['receipt']}/burn/", {})
    assert revoked.status_code == 200
    assert (revoked.json()["state"], revoked.json()["views_left"]) == ("burned", 0)
    assert reveal(post_json, created).status_code == 404
    assert receipt(api, created)["state"] == "burned"
    again = post_json(f"/api/receipts/{created['receipt']}/burn/", {})  # nothing left to burn: same answer
    assert (again.status_code, again.json()["state"]) == (200, "burned")


def test_a_file_revoked_leaves_no_blob(post_json, api, isolated_stores):
    data, content_type = file_form(b"x" * 300_000)
    created = api.post("/api/files/", data, content_type=content_type).json()
    assert any((isolated_stores / "blobs").rglob("*"))
    assert post_json(f"/api/receipts/{created['receipt']}/burn/", {}).json()["state"] == "burned"
    assert not [p for p in (isolated_stores / "blobs").rglob("*") if p.is_file()]


def test_burn_by_the_holder_reads_burned(post_json, api):
    created = create(post_json)
    burned = post_json(f"/api/secrets/{created['secret_id']}/burn/", {"passphrase": created["passphrase"]})
    assert burned.status_code == 204
    assert receipt(api, created)["state"] == "burned"


@override_settings(MAX_FAILED_ATTEMPTS=2)
def test_guessing_it_to_death_reads_destroyed(post_json, api):
    created = create(post_json)
    for _ in range(2):
        assert reveal(post_json, created, "wrong wrong wrong").status_code == 404
    status = receipt(api, created)
    assert (status["state"], status["views_taken"], status["views_left"]) == ("destroyed", 0, 0)


@pytest.mark.parametrize("token", ["x" * 32, "A" * 43, "not a receipt", "%2e%2e"])
def test_unknown_receipts_are_an_ordinary_404(post_json, api, token):
    create(post_json)
    response = api.get(f"/api/receipts/{token}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert post_json(f"/api/receipts/{token}/burn/", {}).status_code == 404


def test_receipt_lookups_are_throttled(post_json, api, settings, tmp_path):
    created = create(post_json)
    settings.DATA_DIR = tmp_path  # windows of its own, not those of a run a minute ago
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "receipt": "3/minute"}
    statuses = [api.get(f"/api/receipts/{created['receipt']}/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
