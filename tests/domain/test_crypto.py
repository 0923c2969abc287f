"""The envelope: round trips, tamper detection, nonce discipline, known answers."""

import io
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sharing.domain import crypto

SID = "HrVfOn1aoqKHeRKi"
OTHER_SID = "Zz9Zz9Zz9Zz9Zz9Z"
N = 1024


def flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


@pytest.fixture
def data_key():
    return crypto.new_data_key()


def seal_file(data_key, content: bytes, chunk_bytes: int = 64):
    encryptor = crypto.FileEncryptor(data_key, secret_id=SID, chunk_bytes=chunk_bytes)
    body = encryptor.update(content)
    last, meta = encryptor.finalize(name="report.pdf", content_type="application/pdf")
    return body + last, meta


def open_file(data_key, body: bytes, meta: bytes, *, secret_id=SID, chunk_bytes: int = 64) -> bytes:
    decryptor = crypto.FileDecryptor(data_key, meta, secret_id=secret_id, chunk_bytes=chunk_bytes)
    return b"".join(decryptor.chunks(io.BytesIO(body).read))


def test_scrypt_matches_rfc7914_vector():
    # RFC 7914 §12, P="pleaseletmein", S="SodiumChloride", N=16384, r=8, p=1: the first 32 bytes.
    key = crypto.derive_key("pleaseletmein", b"SodiumChloride", 16384)
    assert key.hex() == "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"


def test_a_stored_version_1_text_still_opens():
    # Sealed once and kept: if this breaks, stored secrets would stop opening.
    salt = bytes(range(16))
    wrapped = bytes.fromhex(
        "35781004107b60f598e5ecdcfc19b1174a5e752dd57f29a3e40631b788652d59"
        "ff56aa0650ce5df847b0ec52211097672e52debd19751778ea9e7484"
    )
    sealed = bytes.fromhex(
        "32d06fcca16d64dc6d4b8e1d718587a0256d229462e39b3165515d332dba0198f31ed235b5c9a4b03f025fc27c"
    )
    kek = crypto.derive_key("correct horse battery staple", salt, 1024)
    data_key = crypto.unwrap_key(kek, wrapped, secret_id=SID, version=1)
    assert data_key == bytes(range(32, 64))
    assert crypto.open_text(data_key, sealed, secret_id=SID, version=1) == b"super secret text"


def test_key_wrap_round_trip_and_wrong_passphrase():
    salt = crypto.new_salt()
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_key(crypto.derive_key("right passphrase", salt, N), data_key, secret_id=SID)
    assert (
        crypto.unwrap_key(crypto.derive_key("right passphrase", salt, N), wrapped, secret_id=SID) == data_key
    )
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unwrap_key(crypto.derive_key("wrong passphrase", salt, N), wrapped, secret_id=SID)
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unwrap_key(crypto.derive_key("right passphrase", crypto.new_salt(), N), wrapped, secret_id=SID)


def test_text_round_trip(data_key):
    sealed = crypto.seal_text(data_key, "pässwörd 🔑".encode(), secret_id=SID)
    assert crypto.open_text(data_key, sealed, secret_id=SID).decode() == "pässwörd 🔑"
    assert b"p\xc3\xa4ssw" not in sealed


@pytest.mark.parametrize(
    "where",
    [0, 11, 12, 20, -16, -1],
    ids=["nonce-first", "nonce-last", "ciphertext-first", "ciphertext-mid", "tag-first", "tag-last"],
)
def test_any_flipped_bit_in_a_sealed_text_is_detected(data_key, where):
    sealed = crypto.seal_text(data_key, b"a secret of some length", secret_id=SID)
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_text(data_key, flip(sealed, where), secret_id=SID)


def test_associated_data_binds_id_version_and_purpose(data_key):
    sealed = crypto.seal_text(data_key, b"bound", secret_id=SID)
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_text(data_key, sealed, secret_id=OTHER_SID)
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_text(data_key, sealed, secret_id=SID, version=crypto.FORMAT_VERSION - 1)
    with pytest.raises(crypto.DecryptionFailed):  # a sealed text is not a wrapped key
        crypto.unwrap_key(data_key, sealed, secret_id=SID)


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 128, 1000])
def test_file_round_trip_at_chunk_edges(data_key, size):
    content = bytes(i % 251 for i in range(size))
    body, meta = seal_file(data_key, content)
    assert open_file(data_key, body, meta) == content
    info = crypto.open_metadata(data_key, meta, secret_id=SID)
    assert (info.name, info.content_type, info.size) == ("report.pdf", "application/pdf", size)


def test_file_fed_in_odd_pieces_opens_the_same(data_key):
    content = bytes(range(256)) * 3
    encryptor = crypto.FileEncryptor(data_key, secret_id=SID, chunk_bytes=64)
    body = b"".join(encryptor.update(content[i : i + 7]) for i in range(0, len(content), 7))
    last, meta = encryptor.finalize(name="x", content_type="a/b")
    assert open_file(data_key, body + last, meta) == content


SEALED_CHUNK = 64 + crypto.TAG_BYTES


def chunks_of(body: bytes) -> list[bytes]:
    return [body[i : i + SEALED_CHUNK] for i in range(0, len(body), SEALED_CHUNK)]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: c[:-1], id="drop-last-chunk"),
        pytest.param(lambda c: c[1:], id="drop-first-chunk"),
        pytest.param(lambda c: [c[1], c[0], *c[2:]], id="swap-chunks"),
        pytest.param(lambda c: [*c[:2], c[1], *c[2:]], id="repeat-a-chunk"),
        pytest.param(lambda c: [*c[:-1], c[-1][:-1]], id="truncate-last-byte"),
        pytest.param(lambda c: [flip(c[0], 5), *c[1:]], id="flip-a-bit"),
    ],
)
def test_reordered_dropped_or_altered_chunks_are_detected(data_key, tamper):
    body, meta = seal_file(data_key, bytes(300))  # five chunks: 64*4 + 44
    with pytest.raises(crypto.DecryptionFailed):
        open_file(data_key, b"".join(tamper(chunks_of(body))), meta)


def test_chunks_from_another_file_under_the_same_key_are_rejected(data_key):
    body_a, meta_a = seal_file(data_key, b"A" * 200)
    body_b, _ = seal_file(data_key, b"B" * 200)
    spliced = chunks_of(body_a)
    spliced[1] = chunks_of(body_b)[1]
    with pytest.raises(crypto.DecryptionFailed):
        open_file(data_key, b"".join(spliced), meta_a)


def test_file_cannot_be_opened_under_another_id(data_key):
    body, meta = seal_file(data_key, b"x" * 100)
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_metadata(data_key, meta, secret_id=OTHER_SID)
    with pytest.raises(crypto.DecryptionFailed):
        open_file(data_key, body, meta, secret_id=OTHER_SID)


def test_no_two_messages_under_one_data_key_share_a_nonce(data_key, monkeypatch):
    # Record every nonce AES-GCM is asked to encrypt with, across a text and
    # two files sealed under the same data key.
    used = []
    real = crypto.AESGCM

    class SpyAESGCM:
        def __init__(self, key):
            self._aead = real(key)

        def encrypt(self, nonce, data, aad):
            used.append(nonce)
            return self._aead.encrypt(nonce, data, aad)

    monkeypatch.setattr(crypto, "AESGCM", SpyAESGCM)
    crypto.seal_text(data_key, b"t", secret_id=SID)
    seal_file(data_key, bytes(1000))
    seal_file(data_key, bytes(1000))
    assert len(used) == 1 + 2 * (16 + 1)
    assert len(set(used)) == len(used)
    assert all(len(nonce) == crypto.NONCE_BYTES for nonce in used)


def test_chunk_nonces_carry_counter_and_last_flag(data_key):
    body, meta = seal_file(data_key, bytes(130))  # chunks 0, 1 and a last one
    prefix = meta[: crypto.PREFIX_BYTES]
    assert meta[: crypto.NONCE_BYTES] == prefix + struct.pack(">IB", 0xFFFFFFFF, 2)
    aead = crypto.AESGCM(data_key)
    aad = f"pysecrets/v{crypto.FORMAT_VERSION}/chunk/{SID}".encode()
    pieces = chunks_of(body)
    assert aead.decrypt(prefix + struct.pack(">IB", 0, 0), pieces[0], aad) == bytes(64)
    assert aead.decrypt(prefix + struct.pack(">IB", 2, 1), pieces[2], aad) == bytes(2)


@given(pieces=st.lists(st.integers(0, 200), max_size=12))
def test_any_way_of_cutting_the_input_opens_to_the_same_file(pieces):
    data_key = bytes(32)
    content = bytes(i % 253 for i in range(sum(pieces)))
    encryptor = crypto.FileEncryptor(data_key, secret_id=SID, chunk_bytes=64)
    body, offset = b"", 0
    for size in pieces:
        body += encryptor.update(content[offset : offset + size])
        offset += size
    last, meta = encryptor.finalize(name="x", content_type="a/b")
    assert open_file(data_key, body + last, meta) == content
    assert len(body + last) == len(content) + crypto.TAG_BYTES * (max(len(content) - 1, 0) // 64 + 1)
