"""
The end-to-end format, version 1: the sender's side encrypts, the server never can.

Specified in docs/e2e-format.md and pinned by docs/e2e-vectors.json, which the
browser's implementation (frontend/static/e2e.js) passes too. This module
imports nothing but the standard library and ``cryptography``, so the server's
tests and the command-line client share it.

    salt        = "pysecrets-e2e/v1/" + secret_id
    material    = utf8(passphrase)                                   generated kind
                = PBKDF2-HMAC-SHA256(utf8(NFC(passphrase)), salt, 600000)  own kind
    content key = HKDF-SHA256(material, salt, info="pysecrets-e2e/v1/content")
    proof       = HKDF-SHA256(material, salt, info="pysecrets-e2e/v1/proof")
    verifier    = SHA-256("pysecrets-e2e/v1/verifier" || proof || SHA-256(sealed))

The server stores the verifier, never the proof; a reveal sends the proof, and
the server recomputes the verifier over the ciphertext it holds, so a wrong
proof and a stored ciphertext altered since its creation both fail before a
view is spent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

VERSION = 1
LABEL = f"pysecrets-e2e/v{VERSION}"
PBKDF2_ITERATIONS = 600_000  # OWASP's figure for PBKDF2-HMAC-SHA256
MIN_OWN_PASSPHRASE = 12  # characters
GENERATED_BYTES = 24  # 192 bits, 32 characters of base64url
GENERATED_FORM = re.compile(r"[A-Za-z0-9_-]{32}")
SECRET_ID_FORM = re.compile(r"[A-Za-z0-9]{16}")
KEY_BYTES = 32
NONCE_BYTES = 12
PREFIX_BYTES = 7
TAG_BYTES = 16
CHUNK_BYTES = 256 * 1024  # plaintext per file chunk
SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES
_META_INDEX = 0xFFFFFFFF  # reserved for the metadata, so chunks stop one short of it
_CHUNK, _LAST, _META = 0, 1, 2

__all__ = [
    "CHUNK_BYTES",
    "VERSION",
    "DecryptionFailed",
    "FileOpener",
    "FileSealer",
    "Keys",
    "b64decode",
    "b64encode",
    "derive_keys",
    "new_passphrase",
    "open_text",
    "passphrase_kind",
    "proof_matches",
    "seal_text",
    "verifier",
]


class DecryptionFailed(Exception):
    """Authentication failed: wrong passphrase, or data altered, truncated, reordered or moved."""


def b64encode(data: bytes) -> str:
    """base64url without padding: how every binary field travels in JSON, headers and links."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """The inverse of ``b64encode``; raises ``ValueError`` on anything else."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_passphrase() -> str:
    """A generated passphrase: 192 bits from the OS CSPRNG, safe in a shell and a URL."""
    return b64encode(secrets.token_bytes(GENERATED_BYTES))


def passphrase_kind(passphrase: str) -> str:
    """
    ``"generated"`` or ``"own"``, decided from the passphrase alone.

    Every generated passphrase has the generated form, and an own passphrase of
    that form is refused at creation (``check_own_passphrase``), so whoever
    opens a secret knows which derivation to run without asking the server.
    """
    return "generated" if GENERATED_FORM.fullmatch(passphrase) else "own"


def check_own_passphrase(passphrase: str) -> None:
    """Raise ``ValueError`` with a reason if a person's passphrase cannot be used."""
    if len(passphrase) < MIN_OWN_PASSPHRASE:
        raise ValueError(f"a passphrase of your own needs at least {MIN_OWN_PASSPHRASE} characters")
    if passphrase_kind(passphrase) == "generated":
        raise ValueError("32 characters of letters, digits, '-' and '_' is the form of generated passphrases")


def check_secret_id(secret_id: str) -> None:
    if not isinstance(secret_id, str) or not SECRET_ID_FORM.fullmatch(secret_id):
        raise ValueError("a secret id is 16 letters and digits")


@dataclass(frozen=True, repr=False)
class Keys:
    """The two keys one passphrase gives for one secret; repr hides them."""

    content_key: bytes
    proof: bytes

    def __repr__(self) -> str:
        return "Keys(...)"


def _salt(secret_id: str) -> bytes:
    return f"{LABEL}/{secret_id}".encode("ascii")


def _hkdf(material: bytes, salt: bytes, purpose: str) -> bytes:
    info = f"{LABEL}/{purpose}".encode("ascii")
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(material)


def derive_keys(passphrase: str, *, secret_id: str, iterations: int = PBKDF2_ITERATIONS) -> Keys:
    """
    The content key and the proof for ``secret_id``.

    A generated passphrase carries 192 random bits, so HKDF alone suffices; a
    person's own is stretched with PBKDF2 first, so that whoever holds the
    server's records pays ``iterations`` HMACs for every guess. ``iterations``
    is fixed by the format; only the test vectors pass another.
    """
    check_secret_id(secret_id)
    salt = _salt(secret_id)
    if passphrase_kind(passphrase) == "generated":
        material = passphrase.encode("ascii")
    else:
        normalized = unicodedata.normalize("NFC", passphrase).encode("utf-8")
        pbkdf2 = PBKDF2HMAC(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, iterations=iterations)
        material = pbkdf2.derive(normalized)
    return Keys(content_key=_hkdf(material, salt, "content"), proof=_hkdf(material, salt, "proof"))


def sealed_digest(sealed: bytes) -> bytes:
    """SHA-256 of the record's ciphertext (the text, or a file's metadata)."""
    return hashlib.sha256(sealed).digest()


def verifier(proof: bytes, digest: bytes) -> bytes:
    """What the server stores in place of the proof: it binds the proof to the ciphertext's digest."""
    return hashlib.sha256(f"{LABEL}/verifier".encode("ascii") + proof + digest).digest()


def proof_matches(proof: bytes, *, digest: bytes, stored_verifier: bytes) -> bool:
    """The server's check, in constant time for a proof of the right length."""
    return hmac.compare_digest(verifier(proof, digest), stored_verifier)


def _aad(secret_id: str, purpose: str) -> bytes:
    return f"{LABEL}/{purpose}/{secret_id}".encode("ascii")


def _open(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError):
        raise DecryptionFailed() from None


def seal_text(content_key: bytes, text: str, *, secret_id: str, nonce: bytes | None = None) -> bytes:
    """nonce || AES-256-GCM(text as UTF-8); ``nonce`` is random unless a test vector fixes it."""
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    return nonce + AESGCM(content_key).encrypt(nonce, text.encode("utf-8"), _aad(secret_id, "text"))


def open_text(content_key: bytes, sealed: bytes, *, secret_id: str) -> str:
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionFailed()
    plain = _open(content_key, sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad(secret_id, "text"))
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionFailed() from None


def _nonce(prefix: bytes, index: int, flag: int) -> bytes:
    return prefix + struct.pack(">IB", index, flag)


def _metadata_bytes(name: str, content_type: str, size: int) -> bytes:
    return json.dumps(
        {"name": name, "type": content_type, "size": size}, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


class FileSealer:
    """
    Seals a file as a stream of 256 KiB chunks, in constant memory.

    ``update`` takes plaintext in pieces of any size and returns the ciphertext
    ready so far; ``finalize`` seals the last chunk (the only one with the
    last-chunk flag, empty for an empty file) and the metadata, and returns
    both. The body is the concatenation of everything returned as chunks.
    """

    def __init__(self, content_key: bytes, *, secret_id: str, prefix: bytes | None = None):
        self._aead = AESGCM(content_key)
        self._secret_id = secret_id
        self._aad = _aad(secret_id, "chunk")
        self._prefix = os.urandom(PREFIX_BYTES) if prefix is None else prefix
        self._buffer = bytearray()
        self._index = 0
        self.size = 0

    def _seal(self, chunk: bytes, flag: int) -> bytes:
        if self._index >= _META_INDEX:
            raise ValueError("file too large for one stream")
        nonce = _nonce(self._prefix, self._index, flag)
        self._index += 1
        return self._aead.encrypt(nonce, chunk, self._aad)

    def update(self, data: bytes) -> bytes:
        self.size += len(data)
        self._buffer += data
        out = []
        # A full chunk is sealed only once data has arrived behind it: only
        # finalize knows which chunk is the last.
        while len(self._buffer) > CHUNK_BYTES:
            out.append(self._seal(bytes(self._buffer[:CHUNK_BYTES]), _CHUNK))
            del self._buffer[:CHUNK_BYTES]
        return b"".join(out)

    def finalize(self, *, name: str, content_type: str) -> tuple[bytes, bytes]:
        """Return (the last sealed chunk, the sealed metadata)."""
        return self.finish(), self.metadata(name=name, content_type=content_type, size=self.size)

    def finish(self) -> bytes:
        """Seal and return the last chunk."""
        last = self._seal(bytes(self._buffer), _LAST)
        self._buffer.clear()
        return last

    def metadata(self, *, name: str, content_type: str, size: int) -> bytes:
        """
        The sealed metadata. A sender that knows the size before it reads the
        file may seal it first, to send it ahead of the body; the reader
        refuses a body whose length differs from ``size``.
        """
        meta = _metadata_bytes(name, content_type, size)
        nonce = _nonce(self._prefix, _META_INDEX, _META)
        return nonce + self._aead.encrypt(nonce, meta, _aad(self._secret_id, "meta"))


@dataclass(frozen=True)
class FileMetadata:
    name: str
    content_type: str
    size: int


class FileOpener:
    """
    Opens what ``FileSealer`` made, as the body arrives.

    The metadata opens first (it carries the nonce prefix); then ``feed``
    takes body bytes in pieces of any size and returns the plaintext ready, and
    ``finish`` opens the last chunk. The last-chunk flag is implied by where
    the body ends, so a body cut short at a chunk boundary, or with chunks
    dropped, reordered or taken from another file, raises ``DecryptionFailed``,
    as does a body whose length disagrees with the metadata.
    """

    def __init__(self, content_key: bytes, sealed_metadata: bytes, *, secret_id: str):
        if len(sealed_metadata) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionFailed()
        self._aead = AESGCM(content_key)
        self._aad = _aad(secret_id, "chunk")
        nonce = sealed_metadata[:NONCE_BYTES]
        self._prefix = nonce[:PREFIX_BYTES]
        if nonce != _nonce(self._prefix, _META_INDEX, _META):
            raise DecryptionFailed()
        plain = _open(content_key, nonce, sealed_metadata[NONCE_BYTES:], _aad(secret_id, "meta"))
        try:
            fields = json.loads(plain)
            self.metadata = FileMetadata(
                name=str(fields["name"]), content_type=str(fields["type"]), size=int(fields["size"])
            )
        except (ValueError, KeyError, TypeError):
            raise DecryptionFailed() from None
        self._buffer = bytearray()
        self._index = 0
        self._opened = 0

    def _open_chunk(self, chunk: bytes, flag: int) -> bytes:
        try:
            plain = self._aead.decrypt(_nonce(self._prefix, self._index, flag), chunk, self._aad)
        except InvalidTag:
            raise DecryptionFailed() from None
        self._index += 1
        self._opened += len(plain)
        if self._opened > self.metadata.size:
            raise DecryptionFailed()
        return plain

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        out = []
        while len(self._buffer) > SEALED_CHUNK_BYTES:
            out.append(self._open_chunk(bytes(self._buffer[:SEALED_CHUNK_BYTES]), _CHUNK))
            del self._buffer[:SEALED_CHUNK_BYTES]
        return b"".join(out)

    def finish(self) -> bytes:
        """Open the last chunk; the file is whole only if this returns."""
        last = self._open_chunk(bytes(self._buffer), _LAST)
        self._buffer.clear()
        if self._opened != self.metadata.size:
            raise DecryptionFailed()
        return last
