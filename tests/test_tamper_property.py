"""
Property: whatever single bit of a stored record or blob is flipped, a reveal
answers 404 or the original plaintext, never a server error and never other
bytes. Fields that authenticate the secret (salt, keys, ciphertext, format,
id, kind) leave only the 404.
"""

import json
import sqlite3

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharing.domain import crypto
from sharing.stores.handler import record_store

AUTHENTICATED = ["secret_id", "kind", "version", "kdf", "kdf_n", "salt", "wrapped_key", "payload"]
UNAUTHENTICATED = ["views_left", "expires_at", "blob_size", "failed_attempts"]
TEXT = "the plaintext that must never come out wrong"
FILE = bytes(range(256)) * 100  # one chunk: fully checked before a view is spent

fixture_ok = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def flip_value(value, bit: int):
    if isinstance(value, bytes):
        out = bytearray(value)
        out[(bit // 8) % len(out)] ^= 1 << (bit % 8)
        return bytes(out)
    if isinstance(value, str):
        out = bytearray(value.encode())
        out[(bit // 8) % len(out)] ^= 1 << (bit % 8)
        return out.decode("utf-8", errors="replace")
    return value ^ (1 << (bit % 63))


def flip_record(secret_id: str, field: str, bit: int) -> str:
    """Flip one bit of one column in place; return the id the row now has."""
    db = sqlite3.connect(record_store().path)
    (value,) = db.execute(f"SELECT {field} FROM secrets WHERE secret_id = ?", (secret_id,)).fetchone()  # noqa: S608
    db.execute(f"UPDATE secrets SET {field} = ? WHERE secret_id = ?", (flip_value(value, bit), secret_id))  # noqa: S608
    db.commit()
    db.close()
    return flip_value(secret_id, bit) if field == "secret_id" else secret_id


def reveal(post_json, secret_id, passphrase):
    return post_json(f"/api/secrets/{secret_id}/reveal/", {"passphrase": passphrase})


def revealed(response) -> bytes:
    """What a reveal handed out: a file's bytes, or a text's data."""
    if response.streaming:
        try:
            return b"".join(response.streaming_content)
        finally:
            response.close()
    return response.json()["data"].encode()


def create(api, kind: str) -> dict:
    if kind == "text":
        return api.post("/api/text/", {"secret": TEXT}, format="json").json()
    return api.post("/api/files/", {"file": SimpleUploadedFile("f.bin", FILE)}).json()


@fixture_ok
@given(
    kind=st.sampled_from(["text", "file"]),
    field=st.sampled_from(AUTHENTICATED + UNAUTHENTICATED),
    bit=st.integers(0, 2**16),
)
def test_flipped_bit_in_a_record(api, post_json, kind, field, bit):
    created = create(api, kind)
    secret_id = flip_record(created["secret_id"], field, bit)
    response = reveal(post_json, secret_id, created["passphrase"])
    if field in AUTHENTICATED:
        assert response.status_code == 404
    else:
        assert response.status_code in (200, 404)
        if response.status_code == 200:
            assert revealed(response) == (TEXT.encode() if kind == "text" else FILE)


@fixture_ok
@given(bit=st.integers(0, (len(FILE) + crypto.TAG_BYTES) * 8 - 1))
def test_flipped_bit_in_a_blob(api, post_json, isolated_stores, bit):
    created = api.post("/api/files/", {"file": SimpleUploadedFile("f.bin", FILE)}).json()
    path = isolated_stores / "blobs" / created["secret_id"]
    path.write_bytes(flip_value(path.read_bytes(), bit))
    response = reveal(post_json, created["secret_id"], created["passphrase"])
    assert response.status_code == 404
    assert json.loads(response.content)["code"] == "not_found"
