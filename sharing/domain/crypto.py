"""
The envelope: how a secret is sealed (DESIGN.md §2).

    passphrase --KDF(salt)--> key-encryption key (KEK)
    KEK --AES-256-GCM--> wraps a random 256-bit data key (DEK)
    DEK --AES-256-GCM--> seals the text, or the file's metadata and its chunks

The KDF depends on the passphrase's kind (``sharing.domain.passphrases``): a
generated one (180 random bits) goes through HKDF-SHA256, a person's own is
stretched with scrypt (N >= 2^17, r=8, p=1). Each record stores its format
version, its KDF and the KDF's cost, so costs can rise without breaking what
is stored. Version 1 records (scrypt at the N they carry, made before
passphrases had kinds) still open.

Because the content is sealed under the DEK, an upload is encrypted as it
streams in, before any passphrase is known, and checking a passphrase only
needs the few bytes of the wrapped key.

Nonces: every message under a key gets its own nonce. The KEK seals one
message (the DEK) and is unique per salt anyway. Under a DEK, a text secret
has one message with a random nonce. A file secret's messages share one random
7-byte prefix and differ in the rest by construction:

    chunk i:  prefix || uint32(i) || 0x00   (0x01 for the last chunk)
    metadata: prefix || 0xFFFFFFFF || 0x02

so truncating, reordering or swapping chunks, or passing metadata off as a
chunk, fails authentication. Associated data binds every message to the format
version, the secret id and its purpose, so ciphertext cannot move between
secrets or roles.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT_VERSION = 2
SUPPORTED_VERSIONS = frozenset({1, 2})
SCRYPT, HKDF_SHA256 = "scrypt", "hkdf-sha256"  # the KDF a record's key was derived with
# scrypt costs a stored record may carry and this code derives with: version 1
# records were made at 2^15; above 2^20 one derivation (128*r*N bytes) would
# not fit a worker.
MIN_SCRYPT_N, MAX_SCRYPT_N = 2**10, 2**20
# The cost for a person's own passphrase: OWASP's minimum for scrypt, the
# default and the floor of SCRYPT_N.
OWN_SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
PREFIX_BYTES = 7
CHUNK_BYTES = 256 * 1024  # plaintext per file chunk; ciphertext chunks are 16 bytes longer
_METADATA_INDEX = 0xFFFFFFFF  # the nonce counter reserved for metadata, so chunks stop one short of it
_CHUNK, _LAST, _META = 0, 1, 2

__all__ = [
    "FORMAT_VERSION",
    "DecryptionFailed",
    "FileDecryptor",
    "FileEncryptor",
    "derive_key",
    "expand_key",
    "new_data_key",
    "new_salt",
    "open_metadata",
    "open_text",
    "seal_text",
    "unwrap_key",
    "wrap_key",
]


class DecryptionFailed(Exception):
    """Authentication failed: wrong key, or data altered, truncated or moved."""


def scrypt_n_allowed(n: int, *, floor: int = MIN_SCRYPT_N) -> bool:
    """Whether ``n`` is a power of two from ``floor`` to ``MAX_SCRYPT_N``."""
    return floor <= n <= MAX_SCRYPT_N and n & (n - 1) == 0


def can_open(version: int, kdf: str, kdf_n: int) -> bool:
    """Whether a stored record's format, KDF and cost are ones this code derives and opens."""
    if kdf == HKDF_SHA256:
        return version >= 2 and version in SUPPORTED_VERSIONS and kdf_n == 0
    return kdf == SCRYPT and version in SUPPORTED_VERSIONS and scrypt_n_allowed(kdf_n)


def _aad(secret_id: str, purpose: str, version: int = FORMAT_VERSION) -> bytes:
    return f"pysecrets/v{version}/{purpose}/{secret_id}".encode("ascii")


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def derive_key(passphrase: str, salt: bytes, n: int) -> bytes:
    """scrypt(passphrase, salt, N=n, r=8, p=1) -> 32-byte key; ~0.4 s of one core and 128 MiB at N=2^17."""
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=n, r=SCRYPT_R, p=SCRYPT_P)
    return kdf.derive(passphrase.encode("utf-8"))


def expand_key(passphrase: str, salt: bytes) -> bytes:
    """
    HKDF-SHA256(passphrase, salt) -> 32-byte key, for generated passphrases only:
    they carry 180 random bits, so the key needs extracting, not stretching.
    """
    kdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=b"pysecrets/v2/kek")
    return kdf.derive(passphrase.encode("utf-8"))


def _seal(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    return nonce + AESGCM(key).encrypt(nonce, data, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError):
        raise DecryptionFailed() from None


def wrap_key(kek: bytes, data_key: bytes, *, secret_id: str) -> bytes:
    return _seal(kek, os.urandom(NONCE_BYTES), data_key, _aad(secret_id, "key"))


def unwrap_key(kek: bytes, wrapped: bytes, *, secret_id: str, version: int = FORMAT_VERSION) -> bytes:
    """Return the data key; ``DecryptionFailed`` means a wrong passphrase (or tampering)."""
    return _open(kek, wrapped, _aad(secret_id, "key", version))


def seal_text(data_key: bytes, text: bytes, *, secret_id: str) -> bytes:
    return _seal(data_key, os.urandom(NONCE_BYTES), text, _aad(secret_id, "text"))


def open_text(data_key: bytes, sealed: bytes, *, secret_id: str, version: int = FORMAT_VERSION) -> bytes:
    return _open(data_key, sealed, _aad(secret_id, "text", version))


def _file_nonce(prefix: bytes, index: int, flag: int) -> bytes:
    return prefix + struct.pack(">IB", index, flag)


@dataclass(frozen=True)
class FileMetadata:
    name: str
    content_type: str
    size: int  # plaintext bytes


class FileEncryptor:
    """
    Seals a file of any size as a stream of chunks, in constant memory.

    Feed plaintext with ``update`` in pieces of any size; it returns the
    ciphertext ready so far. ``finalize`` seals the last chunk and returns it
    with the sealed metadata (name, type, size), which is stored in the record.
    """

    def __init__(self, data_key: bytes, *, secret_id: str, chunk_bytes: int = CHUNK_BYTES):
        self._aead = AESGCM(data_key)
        self._secret_id = secret_id
        self._aad = _aad(secret_id, "chunk")
        self._prefix = os.urandom(PREFIX_BYTES)
        self._chunk_bytes = chunk_bytes
        self._buffer = bytearray()
        self._index = 0
        self.size = 0

    def _seal_chunk(self, chunk: bytes, flag: int) -> bytes:
        if self._index >= _METADATA_INDEX:
            raise ValueError("file too large for one stream")
        nonce = _file_nonce(self._prefix, self._index, flag)
        self._index += 1
        return self._aead.encrypt(nonce, chunk, self._aad)

    def update(self, data: bytes) -> bytes:
        self.size += len(data)
        view, out = memoryview(data), []
        # Only finalize knows which chunk is last, so a full chunk is sealed
        # only once more data has arrived behind it. Whole chunks are sealed
        # straight from the input, without a copy through the buffer.
        if self._buffer:
            take = min(len(view), self._chunk_bytes - len(self._buffer))
            self._buffer += view[:take]
            view = view[take:]
            if not view:
                return b""
            out.append(self._seal_chunk(bytes(self._buffer), _CHUNK))
            self._buffer.clear()
        while len(view) > self._chunk_bytes:
            out.append(self._seal_chunk(view[: self._chunk_bytes], _CHUNK))
            view = view[self._chunk_bytes :]
        self._buffer += view
        return b"".join(out)

    def finalize(self, *, name: str, content_type: str) -> tuple[bytes, bytes]:
        """Return (last ciphertext chunk, sealed metadata)."""
        last = self._seal_chunk(bytes(self._buffer), _LAST)
        self._buffer.clear()
        meta = json.dumps({"name": name, "type": content_type, "size": self.size}).encode()
        nonce = _file_nonce(self._prefix, _METADATA_INDEX, _META)
        sealed_meta = nonce + self._aead.encrypt(nonce, meta, _aad(self._secret_id, "meta"))
        return last, sealed_meta


def open_metadata(
    data_key: bytes, sealed: bytes, *, secret_id: str, version: int = FORMAT_VERSION
) -> FileMetadata:
    fields = json.loads(_open(data_key, sealed, _aad(secret_id, "meta", version)))
    return FileMetadata(name=fields["name"], content_type=fields["type"], size=fields["size"])


class FileDecryptor:
    """
    Opens a chunked file stream sealed by ``FileEncryptor``.

    The chunk nonces are rebuilt from the metadata nonce's prefix and a
    counter, and the last-chunk flag is implied by where the stream ends, so a
    stream cut short at a chunk boundary, or with chunks dropped, reordered or
    taken from another file, raises ``DecryptionFailed``.
    """

    def __init__(
        self,
        data_key: bytes,
        sealed_metadata: bytes,
        *,
        secret_id: str,
        version: int = FORMAT_VERSION,
        chunk_bytes: int = CHUNK_BYTES,
    ):
        self._aead = AESGCM(data_key)
        self._aad = _aad(secret_id, "chunk", version)
        self._prefix = sealed_metadata[:PREFIX_BYTES]
        self._sealed_chunk = chunk_bytes + TAG_BYTES

    def _open_chunk(self, index: int, chunk: bytes, flag: int) -> bytes:
        try:
            return self._aead.decrypt(_file_nonce(self._prefix, index, flag), chunk, self._aad)
        except InvalidTag:
            raise DecryptionFailed() from None

    def chunks(self, read) -> Iterator[bytes]:
        """Yield plaintext chunks from ``read(n)``, a function that returns ciphertext bytes."""
        current = _read_exactly(read, self._sealed_chunk)
        index = 0
        while True:
            following = _read_exactly(read, self._sealed_chunk) if len(current) == self._sealed_chunk else b""
            last = not following
            yield self._open_chunk(index, current, _LAST if last else _CHUNK)
            if last:
                return
            current, index = following, index + 1


def _read_exactly(read, size: int) -> bytes:
    """Read up to ``size`` bytes, short only at the end of the stream."""
    parts, missing = [], size
    while missing:
        part = read(missing)
        if not part:
            break
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)
