"""The resource API for text secrets: /api/text/ and /api/secrets/<id>/."""

from datetime import UTC, datetime

import time_machine


def create(post_json, **body):
    response = post_json("/api/text/", {"secret": "hunter2 is my password", **body})
    assert response.status_code == 201, response.content
    return response.json()


def test_create_answers_id_passphrase_and_terms(post_json):
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=False):
        created = create(post_json, view_count=3, lifetime=3600)
    assert created["kind"] == "text"
    assert created["view_count"] == 3
    assert created["expires_at"] == "2030-01-01T01:00:00Z"
    assert len(created["secret_id"]) == 16 and len(created["passphrase"]) == 32


def test_reveal_counts_down_views(post_json):
    created = create(post_json, view_count=2)
    url = f"/api/text/{created['secret_id']}/reveal/"
    first = post_json(url, {"passphrase": created["passphrase"]})
    assert first.status_code == 200
    assert first.json() == {"kind": "text", "data": "hunter2 is my password", "views_left": 1}
    assert first["Cache-Control"] == "no-store, private, max-age=0"
    generic = post_json(f"/api/secrets/{created['secret_id']}/reveal/", {"passphrase": created["passphrase"]})
    assert generic.json()["views_left"] == 0
    gone = post_json(url, {"passphrase": created["passphrase"]})
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"


def test_wrong_passphrase_then_right_one_still_works(post_json):
    created = create(post_json)
    url = f"/api/secrets/{created['secret_id']}/reveal/"
    wrong = post_json(url, {"passphrase": "guess guess guess"})
    unknown = post_json("/api/secrets/AAAAAAAAAAAAAAAA/reveal/", {"passphrase": created["passphrase"]})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert post_json(url, {"passphrase": created["passphrase"]}).json()["data"] == "hunter2 is my password"


def test_own_passphrase(post_json):
    created = create(post_json, passphrase="a passphrase I chose")
    assert created["passphrase"] == "a passphrase I chose"
    revealed = post_json(
        f"/api/secrets/{created['secret_id']}/reveal/", {"passphrase": "a passphrase I chose"}
    )
    assert revealed.status_code == 200


def test_expired_secret_is_404_while_still_stored(post_json, isolated_stores):
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=False):
        created = create(post_json, lifetime=300)
    url = f"/api/secrets/{created['secret_id']}/reveal/"
    with time_machine.travel(datetime(2030, 1, 1, 0, 5, tzinfo=UTC), tick=False):
        assert post_json(url, {"passphrase": created["passphrase"]}).status_code == 404
    with time_machine.travel(datetime(2030, 1, 1, 0, 4, 59, tzinfo=UTC), tick=False):
        assert post_json(url, {"passphrase": created["passphrase"]}).status_code == 200


def test_burn(post_json):
    created = create(post_json, view_count=10)
    burn = f"/api/text/{created['secret_id']}/burn/"
    assert post_json(burn, {"passphrase": "not it, not it"}).status_code == 404
    assert post_json(burn, {"passphrase": created["passphrase"]}).status_code == 204
    assert post_json(burn, {"passphrase": created["passphrase"]}).status_code == 404
    reveal = f"/api/secrets/{created['secret_id']}/reveal/"
    assert post_json(reveal, {"passphrase": created["passphrase"]}).status_code == 404


def test_text_is_not_found_under_files(post_json):
    created = create(post_json)
    response = post_json(f"/api/files/{created['secret_id']}/reveal/", {"passphrase": created["passphrase"]})
    assert response.status_code == 404
    assert (
        post_json(
            f"/api/text/{created['secret_id']}/reveal/", {"passphrase": created["passphrase"]}
        ).status_code
        == 200
    )


def test_unicode_and_whitespace_survive_exactly(post_json):
    secret = "  line one\n\tline two 🔐 ñ  \n"
    created = create(post_json, secret=secret)
    revealed = post_json(
        f"/api/secrets/{created['secret_id']}/reveal/", {"passphrase": created["passphrase"]}
    )
    assert revealed.json()["data"] == secret


def test_get_never_reveals(api, post_json):
    created = create(post_json)
    assert api.get(f"/api/secrets/{created['secret_id']}/reveal/").status_code == 405
    assert api.get(f"/api/secrets/{created['secret_id']}/").status_code in (404, 405)
    response = post_json(
        f"/api/secrets/{created['secret_id']}/reveal/", {"passphrase": created["passphrase"]}
    )
    assert response.status_code == 200


def test_any_character_is_a_valid_secret_and_passphrase(post_json):
    secret, passphrase = "nul\x00inside \u2028 and \U0001f511", "own\x00passphrase\x01\x7f"
    created = create(post_json, secret=secret, passphrase=passphrase)
    revealed = post_json(f"/api/secrets/{created['secret_id']}/reveal/", {"passphrase": passphrase})
    assert revealed.json()["data"] == secret
