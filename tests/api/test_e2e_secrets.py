"""End-to-end secrets under /api/e2e/: the server stores ciphertext, checks a proof, spends views exactly."""

import os
import sqlite3
import time

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from sharing import services
from sharing.stores.handler import blob_store, record_store
from tests.support import e2e_client as client
from tests.support.e2e_client import B


@pytest.fixture
def ticket(post_json):
    response = post_json("/api/e2e/", {})
    assert response.status_code == 201, response.content
    return response.json()


def create_text(post_json, ticket, text="super secret text", **options):
    sealed = client.seal_text(ticket, text, **options)
    response = post_json(ticket["text_url"], sealed.body)
    assert response.status_code == 201, response.content
    return sealed, response.json()


def create_file(api, ticket, content, **options):
    sealed = client.seal_file(ticket, content, **options)
    upload = SimpleUploadedFile("sealed", sealed.sealed_body, "application/octet-stream")
    response = api.post(ticket["file_url"], {**sealed.body, "file": upload})
    assert response.status_code == 201, response.content
    return sealed, response.json()


def reveal(post_json, sealed, proof=None):
    return post_json(f"/api/e2e/{sealed.secret_id}/reveal/", proof or sealed.proof)


def body_of(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def views_left(secret_id):
    record = record_store().get(secret_id, now=time.time())
    return None if record is None else record.views_left


def test_a_ticket_names_a_fresh_id_and_where_to_post(ticket, post_json):
    assert len(ticket["secret_id"]) == 16 and ticket["secret_id"].isalnum()
    assert ticket["text_url"] == f"/api/e2e/uploads/{ticket['ticket']}/text/"
    assert ticket["file_url"] == f"/api/e2e/uploads/{ticket['ticket']}/file/"
    assert post_json("/api/e2e/", {}).json()["secret_id"] != ticket["secret_id"]
    assert record_store().get(ticket["secret_id"], now=0) is None  # nothing stored yet


def test_a_text_round_trips_with_exact_views(post_json, ticket):
    sealed, created = create_text(post_json, ticket, view_count=2, lifetime=3600)
    assert created["secret_id"] == sealed.secret_id
    assert created["kind"] == "e2e-text" and created["view_count"] == 2
    assert "passphrase" not in created
    first = reveal(post_json, sealed)
    assert first.status_code == 200
    assert first.json()["views_left"] == 1 and first.json()["kind"] == "e2e-text"
    assert first["Cache-Control"] == "no-store, private, max-age=0"
    assert client.open_text(sealed, first.json()) == "super secret text"
    assert reveal(post_json, sealed).json()["views_left"] == 0
    assert reveal(post_json, sealed).status_code == 404


def test_an_own_passphrase_works_the_same(post_json, ticket):
    sealed, _ = create_text(post_json, ticket, "ünïcödé", passphrase="correct horse battery staple")
    assert client.open_text(sealed, reveal(post_json, sealed).json()) == "ünïcödé"


def test_the_server_holds_ciphertext_and_a_verifier_only(post_json, ticket):
    sealed, _ = create_text(post_json, ticket, "CANARY plaintext")
    record = record_store().get(sealed.secret_id, now=0)
    assert record.kind == "e2e-text" and record.version == 1 and record.kdf_n == 0
    assert record.payload == client.e2e.b64decode(sealed.body["sealed"])
    assert record.salt == client.e2e.sealed_digest(record.payload)
    assert record.wrapped_key == client.e2e.b64decode(sealed.body["verifier"])
    for secret in (
        b"CANARY plaintext",
        sealed.passphrase.encode(),
        sealed.keys.proof,
        sealed.keys.content_key,
    ):
        assert secret not in repr(record).encode() and secret not in record.payload


def test_a_wrong_proof_and_an_unknown_id_are_the_same_404_and_spend_nothing(post_json, ticket):
    sealed, _ = create_text(post_json, ticket, view_count=1)
    wrong = reveal(post_json, sealed, {"proof": B(os.urandom(32))})
    unknown = post_json("/api/e2e/AAAAAAAAAAAAAAAA/reveal/", sealed.proof)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert views_left(sealed.secret_id) == 1
    assert client.open_text(sealed, reveal(post_json, sealed).json()) == "super secret text"


def test_a_proof_for_another_id_fails_and_spends_nothing(post_json):
    first, _ = create_text(post_json, post_json("/api/e2e/", {}).json(), "first")
    second, _ = create_text(post_json, post_json("/api/e2e/", {}).json(), "second")
    assert post_json(f"/api/e2e/{second.secret_id}/reveal/", first.proof).status_code == 404
    assert views_left(second.secret_id) == 1 and views_left(first.secret_id) == 1


def test_ciphertext_altered_in_storage_fails_before_a_view_is_spent(post_json, ticket, isolated_stores):
    sealed, _ = create_text(post_json, ticket, view_count=1)
    with sqlite3.connect(isolated_stores / "secrets.sqlite3") as db:
        (payload,) = db.execute(
            "SELECT payload FROM secrets WHERE secret_id = ?", (sealed.secret_id,)
        ).fetchone()
        altered = bytes([payload[0] ^ 1]) + payload[1:]
        db.execute("UPDATE secrets SET payload = ? WHERE secret_id = ?", (altered, sealed.secret_id))
    assert reveal(post_json, sealed).status_code == 404
    assert views_left(sealed.secret_id) == 1


def test_wrong_proofs_up_to_the_cap_destroy_the_secret(post_json, ticket, settings):
    settings.MAX_FAILED_ATTEMPTS = 3
    sealed, _ = create_text(post_json, ticket, view_count=5)
    for _ in range(3):
        assert reveal(post_json, sealed, {"proof": B(os.urandom(32))}).status_code == 404
    assert reveal(post_json, sealed).status_code == 404
    assert views_left(sealed.secret_id) is None


def test_the_server_side_routes_treat_an_end_to_end_secret_as_a_miss(post_json, ticket):
    sealed, _ = create_text(post_json, ticket)
    for path, body in [
        ("/decrypt", {"secret_id": sealed.secret_id, "passphrase": sealed.passphrase}),
        (f"/api/secrets/{sealed.secret_id}/reveal/", {"passphrase": sealed.passphrase}),
        (f"/api/text/{sealed.secret_id}/burn/", {"passphrase": sealed.passphrase}),
    ]:
        assert post_json(path, body).status_code == 404, path
    assert views_left(sealed.secret_id) == 1


def test_burn_needs_the_proof(post_json, ticket):
    sealed, _ = create_text(post_json, ticket, view_count=3)
    burn = f"/api/e2e/{sealed.secret_id}/burn/"
    assert post_json(burn, {"proof": B(os.urandom(32))}).status_code == 404
    assert post_json(burn, sealed.proof).status_code == 204
    assert reveal(post_json, sealed).status_code == 404
    assert post_json(burn, sealed.proof).status_code == 404


def test_it_expires_on_read(post_json):
    with time_machine.travel(1_900_000_000, tick=False) as traveller:
        sealed, created = create_text(post_json, post_json("/api/e2e/", {}).json(), lifetime=300)
        assert created["expires_at"].startswith("2030-03-17T17:")
        traveller.shift(299)
        assert views_left(sealed.secret_id) == 1
        traveller.shift(1)
        assert reveal(post_json, sealed).status_code == 404


def test_its_receipt_follows_it_and_revokes_it_without_the_proof(api, post_json, ticket):
    sealed, created = create_text(post_json, ticket, view_count=2)
    status = api.get(f"/api/receipts/{created['receipt']}/").json()
    assert (status["state"], status["views_left"]) == ("unread", 2)
    assert reveal(post_json, sealed).status_code == 200
    status = api.get(f"/api/receipts/{created['receipt']}/").json()
    assert (status["state"], status["views_left"]) == ("viewed", 1)
    revoked = post_json(f"/api/receipts/{created['receipt']}/burn/", {})
    assert (revoked.status_code, revoked.json()["state"]) == (200, "burned")
    assert reveal(post_json, sealed).status_code == 404
    assert api.get(f"/api/receipts/{created['receipt']}/").json()["state"] == "burned"


def test_a_ticket_is_for_one_secret_and_cannot_be_forged_or_kept(post_json, ticket):
    sealed = client.seal_text(ticket, "x")
    forged = ticket["text_url"].replace(ticket["secret_id"], "AAAAAAAAAAAAAAAA")
    # A ticket names an upload slot: one not issued here is not found, like an unknown id.
    assert post_json(forged, sealed.body).status_code == 404
    assert post_json("/api/e2e/uploads/nonsense/text/", sealed.body).json()["code"] == "not_found"
    assert post_json(ticket["text_url"], sealed.body).status_code == 201
    again = post_json(ticket["text_url"], sealed.body)
    assert again.status_code == 409 and "already used" in again.json()["detail"]
    # A ticket issued now is refused 6 hours later.
    fresh = post_json("/api/e2e/", {}).json()
    with time_machine.travel(time.time() + 6 * 3600 + 5):
        assert post_json(fresh["text_url"], client.seal_text(fresh, "x").body).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"verifier": B(b"short")}, "verifier"),
        ({"verifier": "not base64!"}, "verifier"),
        ({"sealed": 12}, "sealed"),
        ({"sealed": "a"}, "sealed"),
        ({"view_count": 11}, "view_count"),
        ({"lifetime": 10}, "lifetime"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(post_json, ticket, change, field):
    sealed = client.seal_text(ticket, "x")
    response = post_json(ticket["text_url"], {**sealed.body, **change})
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


def test_bad_proofs_are_400s(post_json, ticket):
    sealed, _ = create_text(post_json, ticket)
    for proof in [B(b"x" * 31), "not base64!", 5]:
        assert reveal(post_json, sealed, {"proof": proof}).status_code == 400
    assert views_left(sealed.secret_id) == 1


def test_an_oversized_text_is_a_413(post_json, ticket, settings):
    settings.MAX_TEXT_BYTES = 100
    sealed = client.seal_text(ticket, "x" * 101)
    assert post_json(ticket["text_url"], sealed.body).status_code == 413
    assert post_json(ticket["text_url"], client.seal_text(ticket, "x" * 100).body).status_code == 201


def test_a_file_round_trips_in_chunks_and_its_last_view_deletes_the_body(api, post_json, ticket):
    content = os.urandom(3 * 256 * 1024 + 17)
    sealed, created = create_file(
        api, ticket, content, name="photo.jpg", content_type="image/jpeg", view_count=2
    )
    assert created["kind"] == "e2e-file"
    for left in (1, 0):
        response = reveal(post_json, sealed)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Views-Left"] == str(left)
        assert int(response["Content-Length"]) == len(sealed.sealed_body)
        body = body_of(response)
        assert body == sealed.sealed_body
        metadata, plain = client.open_file(sealed, response["X-Sealed-Metadata"], body)
        assert (metadata.name, metadata.content_type, metadata.size) == (
            "photo.jpg",
            "image/jpeg",
            len(content),
        )
        assert plain == content
    assert reveal(post_json, sealed).status_code == 404
    assert list(blob_store().list_ids(older_than=2**40)) == []


def test_a_replayed_file_ticket_is_409_and_leaves_the_first_body_whole(api, post_json, ticket):
    content = os.urandom(300_000)
    sealed, _ = create_file(api, ticket, content, view_count=2)
    other = client.seal_file(ticket, os.urandom(300_000))
    upload = SimpleUploadedFile("sealed", other.sealed_body, "application/octet-stream")
    again = api.post(ticket["file_url"], {**other.body, "file": upload})
    assert again.status_code == 409, again.content
    response = reveal(post_json, sealed)
    assert response.status_code == 200
    assert client.open_file(sealed, response["X-Sealed-Metadata"], body_of(response))[1] == content
    assert views_left(sealed.secret_id) == 1


def test_an_empty_file_round_trips(api, post_json, ticket):
    sealed, _ = create_file(api, ticket, b"")
    response = reveal(post_json, sealed)
    assert client.open_file(sealed, response["X-Sealed-Metadata"], body_of(response))[1] == b""


def test_a_burned_or_destroyed_file_leaves_no_body(api, post_json, settings):
    settings.MAX_FAILED_ATTEMPTS = 1
    first, _ = create_file(api, post_json("/api/e2e/", {}).json(), b"a" * 1000)
    second, _ = create_file(api, post_json("/api/e2e/", {}).json(), b"b" * 1000)
    assert post_json(f"/api/e2e/{first.secret_id}/burn/", first.proof).status_code == 204
    assert reveal(post_json, second, {"proof": B(os.urandom(32))}).status_code == 404
    assert list(blob_store().list_ids(older_than=2**40)) == []


def test_an_oversized_file_is_refused_and_leaves_nothing(api, post_json, ticket, settings):
    settings.MAX_FILE_BYTES = 1000
    sealed = client.seal_file(ticket, b"x" * 2000)
    upload = SimpleUploadedFile("sealed", sealed.sealed_body, "application/octet-stream")
    assert api.post(ticket["file_url"], {**sealed.body, "file": upload}).status_code == 413
    assert list(blob_store().list_ids(older_than=2**40)) == []
    assert record_store().get(sealed.secret_id, now=0) is None


def test_a_file_without_metadata_leaves_no_body(api, ticket):
    sealed = client.seal_file(ticket, b"x" * 100)
    upload = SimpleUploadedFile("sealed", sealed.sealed_body, "application/octet-stream")
    response = api.post(ticket["file_url"], {"verifier": sealed.body["verifier"], "file": upload})
    assert response.status_code == 400 and "sealed_metadata" in response.json()["fields"]
    assert list(blob_store().list_ids(older_than=2**40)) == []


def test_the_sweep_removes_expired_end_to_end_files(api, post_json):
    with time_machine.travel(1_900_000_000, tick=False) as traveller:
        create_file(api, post_json("/api/e2e/", {}).json(), b"x" * 100, lifetime=300)
        traveller.shift(301)
        assert services.secret_sweep(grace_seconds=10**9) == (1, 0)
    assert list(blob_store().list_ids(older_than=2**40)) == []


def test_counters_count_end_to_end_secrets(api, post_json):
    text, _ = create_text(post_json, post_json("/api/e2e/", {}).json(), view_count=1)
    create_file(api, post_json("/api/e2e/", {}).json(), b"x" * 10)
    reveal(post_json, text, {"proof": B(os.urandom(32))})
    reveal(post_json, text)
    totals = services.usage_counts(days=1).totals
    assert totals["created_text"] == 1 and totals["created_file"] == 1
    assert totals["views"] == 1 and totals["used_up"] == 1 and totals["failed_attempts"] == 1
    assert totals["stored_bytes"] == 10 + 16


def test_the_schema_documents_the_end_to_end_routes(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in [
        "/api/e2e/",
        "/api/e2e/uploads/{ticket}/text/",
        "/api/e2e/uploads/{ticket}/file/",
        "/api/e2e/{secret_id}/reveal/",
        "/api/e2e/{secret_id}/burn/",
    ]:
        assert path in schema["paths"], path
