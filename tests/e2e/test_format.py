"""The Python implementation of the end-to-end format against its known answers, and on its own."""

import hashlib
import hmac
import unicodedata

import pysecrets_e2e as e2e
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.e2e_vectors import VECTORS, B, altered, open_file, pattern, seal_file_vector

SID = "HrVfOn1aoqKHeRKi"


def hkdf_sha256(material: bytes, salt: bytes, info: bytes) -> bytes:
    """RFC 5869 written out with hmac, to check the module's derivation independently."""
    prk = hmac.new(salt, material, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


@pytest.mark.parametrize("case", VECTORS["kinds"], ids=lambda c: c["passphrase"])
def test_the_kind_is_decided_by_the_passphrase_alone(case):
    assert e2e.passphrase_kind(case["passphrase"]) == case["kind"]


@pytest.mark.parametrize("vector", VECTORS["keys"], ids=lambda v: f"{v['kind']}-{v['secret_id']}")
def test_keys_match_the_known_answers_and_the_spec_written_out(vector):
    keys = e2e.derive_keys(vector["passphrase"], secret_id=vector["secret_id"])
    assert e2e.passphrase_kind(vector["passphrase"]) == vector["kind"]
    assert keys.content_key == B(vector["content_key"])
    assert keys.proof == B(vector["proof"])
    salt = f"pysecrets-e2e/v1/{vector['secret_id']}".encode()
    if vector["kind"] == "generated":
        material = vector["passphrase"].encode()
    else:
        typed = unicodedata.normalize("NFC", vector["passphrase"]).encode()
        material = hashlib.pbkdf2_hmac("sha256", typed, salt, 600_000)
    assert hkdf_sha256(material, salt, b"pysecrets-e2e/v1/content") == keys.content_key
    assert hkdf_sha256(material, salt, b"pysecrets-e2e/v1/proof") == keys.proof
    assert "key" not in repr(keys).lower().replace("keys(", "")


def test_the_vectors_cover_both_kinds_both_spellings_and_every_boundary():
    kinds = {v["kind"] for v in VECTORS["keys"]}
    assert kinds == {"generated", "own"}
    spellings = [v["passphrase"] for v in VECTORS["keys"] if v["kind"] == "own"]
    assert any(p != unicodedata.normalize("NFC", p) for p in spellings)
    chunk = VECTORS["constants"]["chunk_bytes"]
    sizes = {v["size"] for v in VECTORS["files"]}
    assert {0, chunk, chunk + 1}.issubset(sizes) and max(sizes) > 2 * chunk
    assert VECTORS["constants"]["pbkdf2_iterations"] >= 600_000


@pytest.mark.parametrize("vector", VECTORS["texts"], ids=lambda v: repr(v["text"][:12]))
def test_texts_seal_to_the_known_bytes_and_open(vector):
    keys = e2e.derive_keys(vector["passphrase"], secret_id=vector["secret_id"])
    sealed = e2e.seal_text(
        keys.content_key, vector["text"], secret_id=vector["secret_id"], nonce=B(vector["nonce"])
    )
    assert sealed == B(vector["sealed"])
    assert e2e.open_text(keys.content_key, sealed, secret_id=vector["secret_id"]) == vector["text"]
    digest = e2e.sealed_digest(sealed)
    assert digest == B(vector["digest"])
    assert e2e.verifier(keys.proof, digest) == B(vector["verifier"])
    assert e2e.proof_matches(keys.proof, digest=digest, stored_verifier=B(vector["verifier"]))


@pytest.mark.parametrize("vector", VECTORS["files"], ids=lambda v: f"{v['size']}-bytes")
def test_files_seal_to_the_known_bytes_and_open(vector):
    body, meta = seal_file_vector(vector)
    assert meta == B(vector["sealed_metadata"])
    assert len(body) == vector["body_bytes"]
    assert hashlib.sha256(body).digest() == B(vector["body_sha256"])
    if "body" in vector:
        assert body == B(vector["body"])
    keys = e2e.derive_keys(vector["passphrase"], secret_id=vector["secret_id"])
    assert e2e.verifier(keys.proof, e2e.sealed_digest(meta)) == B(vector["verifier"])
    metadata, plain = open_file(vector["passphrase"], vector["secret_id"], meta, body)
    assert (metadata.name, metadata.content_type, metadata.size) == (
        vector["name"],
        vector["type"],
        vector["size"],
    )
    assert plain == pattern(vector["size"])


@pytest.mark.parametrize(
    "case", VECTORS["failures"], ids=lambda c: f"{'text' if 'text' in c else 'file'}-{c['case']}"
)
def test_every_failure_case_fails_to_open(case):
    passphrase, secret_id, data, meta = altered(case)
    with pytest.raises(e2e.DecryptionFailed):
        if meta is None:
            keys = e2e.derive_keys(passphrase, secret_id=secret_id)
            e2e.open_text(keys.content_key, data, secret_id=secret_id)
        else:
            open_file(passphrase, secret_id, meta, data)


def test_a_wrong_passphrase_or_altered_ciphertext_does_not_match_the_verifier():
    vector = VECTORS["texts"][0]
    stored = B(vector["verifier"])
    right = e2e.derive_keys(vector["passphrase"], secret_id=vector["secret_id"]).proof
    wrong = e2e.derive_keys(e2e.new_passphrase(), secret_id=vector["secret_id"]).proof
    digest = B(vector["digest"])
    assert e2e.proof_matches(right, digest=digest, stored_verifier=stored)
    assert not e2e.proof_matches(wrong, digest=digest, stored_verifier=stored)
    tampered = e2e.sealed_digest(B(vector["sealed"]) + b"\0")
    assert not e2e.proof_matches(right, digest=tampered, stored_verifier=stored)


def test_generated_passphrases_have_the_generated_form_and_own_ones_are_checked():
    generated = {e2e.new_passphrase() for _ in range(100)}
    assert len(generated) == 100
    assert all(e2e.passphrase_kind(p) == "generated" for p in generated)
    with pytest.raises(ValueError, match="at least 12"):
        e2e.check_own_passphrase("short")
    with pytest.raises(ValueError, match="form of generated"):
        e2e.check_own_passphrase(e2e.new_passphrase())
    e2e.check_own_passphrase("correct horse battery staple")


def test_a_secret_id_must_have_the_id_form():
    for bad in ["", "short", "HrVfOn1aoqKHeRK!", "HrVfOn1aoqKHeRKiX", "../../etc/passwd"]:
        with pytest.raises(ValueError):
            e2e.derive_keys(e2e.new_passphrase(), secret_id=bad)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 3 * e2e.CHUNK_BYTES + 5), piece=st.integers(1, 400_000))
def test_any_size_round_trips_whatever_the_piece_sizes(size, piece):
    keys = e2e.derive_keys(e2e.new_passphrase(), secret_id=SID)
    plain = pattern(size)
    sealer = e2e.FileSealer(keys.content_key, secret_id=SID)
    body = b"".join(sealer.update(plain[i : i + piece]) for i in range(0, size, piece))
    last, meta = sealer.finalize(name="a.bin", content_type="")
    body += last
    assert len(body) == size + 16 * max(1, -(-size // e2e.CHUNK_BYTES))
    opener = e2e.FileOpener(keys.content_key, meta, secret_id=SID)
    out = b"".join(opener.feed(body[i : i + piece]) for i in range(0, len(body), piece)) + opener.finish()
    assert out == plain


def test_base64url_refuses_what_is_not_base64url():
    assert e2e.b64decode(e2e.b64encode(bytes(range(256)))) == bytes(range(256))
    for bad in ["a", "ab=", "a+b/", "é", "abcde"]:
        with pytest.raises(ValueError):
            e2e.b64decode(bad)
