"""
End-to-end secrets: the sender's side encrypts, the server keeps ciphertext it cannot open.

The format is docs/e2e-format.md. Here the server only ever sees the sealed
text (or a file's sealed metadata and body), a *verifier*, and at reveal or
burn a *proof*; it holds no key and derives none. The secrets live in the same
stores and under the same rules as the others (``Lifecycle``): put-if-absent
create with the blob first, expiry on read, exact views by the store's atomic
claim, burn, the per-secret cap on wrong proofs, the counters.

A stored end-to-end record uses the ``SecretRecord`` fields thus:

    kind         "e2e-text" or "e2e-file"
    version      the end-to-end format version (1)
    kdf          "none", kdf_n 0: the server derives nothing
    salt         SHA-256 of ``payload``, as the sender committed to it
    wrapped_key  the verifier: SHA-256(label || proof || that digest)
    payload      the sealed text, or the file's sealed metadata
    blob_size    the sealed body's bytes (files)

A reveal takes the lifecycle's one way in (``Lifecycle.attempt``): it
reserves an attempt, checks the proof against the verifier over the stored
digest (the same work for every id, known or not), then that the payload
still has that digest, and only then claims a view, which gives the attempt
back: a wrong proof, or a payload altered in storage, is the one
``SecretNotFound`` and spends an attempt, never a view.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass

from sharing.domain.lifecycle import BLOB_KINDS, Created, Lifecycle, PlaintextStream, is_secret_id
from sharing.errors import FILE_TOO_LARGE, AlreadyUsed, InvalidInput, PayloadTooLarge, gettext_noop
from sharing.stores.base import BlobExists, RecordExists, SecretRecord, Tally

E2E_TEXT, E2E_FILE = "e2e-text", "e2e-file"
KINDS = frozenset({E2E_TEXT, E2E_FILE})
assert E2E_FILE in BLOB_KINDS  # so the sweep deletes their bodies too
VERSION = 1
KDF = "none"
_LABEL = b"pysecrets-e2e/v1"
DIGEST_BYTES = 32
PROOF_BYTES = 32
GCM_OVERHEAD = 12 + 16  # nonce and tag around a sealed text or metadata
CHUNK_OVERHEAD = 16  # tag per 256 KiB chunk of a file body
CHUNK_BYTES = 256 * 1024
MAX_METADATA_BYTES = 2048  # a name, a type and a size, sealed
_NO_DIGEST = bytes(DIGEST_BYTES)
_NO_VERIFIER = bytes(DIGEST_BYTES)


def verifier(proof: bytes, digest: bytes) -> bytes:
    """As ``pysecrets_e2e.verifier``: what the server stores in place of the proof."""
    return hashlib.sha256(_LABEL + b"/verifier" + proof + digest).digest()


def max_sealed_body(max_file_bytes: int) -> int:
    """The largest sealed body a file of ``max_file_bytes`` can have: one tag per chunk, at least one."""
    return max_file_bytes + CHUNK_OVERHEAD * max(1, -(-max_file_bytes // CHUNK_BYTES))


@dataclass(frozen=True)
class SealedText:
    sealed: bytes
    views_left: int
    kind: str = E2E_TEXT


@dataclass
class SealedFile:
    """A claimed view of an end-to-end file: its sealed metadata now, the sealed body as it streams."""

    sealed_metadata: bytes
    size: int  # bytes of the sealed body
    views_left: int
    content: PlaintextStream  # here: ciphertext, released (and deleted after the last view) on close
    kind: str = E2E_FILE


class SealedBodyUpload:
    """
    A file's sealed body, written to the blob store as it arrives (under an
    id the server issued), before any record exists. ``discard`` deletes it
    unless a record now owns it.
    """

    def __init__(self, lifecycle: Lifecycle, secret_id: str):
        self._lifecycle = lifecycle
        self.secret_id = secret_id
        self._limit = max_sealed_body(lifecycle.policy.max_file_bytes)
        self._writer = lifecycle.blobs.open_write(secret_id)
        self.size = 0
        self.committed = False
        self.owned = False

    def write(self, data: bytes) -> None:
        if self.size + len(data) > self._limit:
            self.discard()
            raise PayloadTooLarge(FILE_TOO_LARGE, params={"limit": self._lifecycle.policy.max_file_bytes})
        self._writer.write(data)
        self.size += len(data)

    def finish(self) -> SealedBodyUpload:
        try:
            self.size = self._writer.commit()
        except BlobExists:
            raise AlreadyUsed() from None  # a replayed ticket; the first body stays
        self.committed = True
        return self

    def discard(self) -> None:
        if self.owned:
            return
        if self.committed:
            self._lifecycle.blobs.delete(self.secret_id)
        else:
            self._writer.abort()


class EndToEnd:
    """Create, reveal and burn end-to-end secrets on a ``Lifecycle``'s stores and policy."""

    def __init__(self, lifecycle: Lifecycle):
        self.lifecycle = lifecycle
        self.records, self.blobs, self.policy = lifecycle.records, lifecycle.blobs, lifecycle.policy

    def _record(
        self, *, secret_id: str, kind: str, payload: bytes, verifier: bytes, view_count: int, lifetime, size=0
    ) -> SecretRecord:
        self.policy.check(view_count=view_count, lifetime=lifetime, passphrase=None)
        if not is_secret_id(secret_id):
            raise InvalidInput(gettext_noop("Not an id this service issued."), field="secret_id")
        if len(verifier) != DIGEST_BYTES:
            raise InvalidInput(
                gettext_noop("Must be %(size)s bytes."), field="verifier", params={"size": DIGEST_BYTES}
            )
        return SecretRecord(
            secret_id=secret_id,
            kind=kind,
            version=VERSION,
            kdf=KDF,
            kdf_n=0,
            salt=hashlib.sha256(payload).digest(),
            wrapped_key=verifier,
            payload=payload,
            views_left=view_count,
            expires_at=int(self.lifecycle.clock()) + (lifetime or self.policy.max_lifetime),
            blob_size=size,
        )

    def _created(self, record: SecretRecord, receipt: str | None) -> Created:
        return Created(
            secret_id=record.secret_id,
            passphrase="",
            kind=record.kind,
            view_count=record.views_left,
            expires_at=record.expires_at,
            receipt=receipt,
        )

    def create_text(
        self,
        *,
        secret_id: str,
        sealed: bytes,
        verifier: bytes,
        view_count: int = 1,
        lifetime: int | None = None,
    ) -> Created:
        if len(sealed) < GCM_OVERHEAD + 1:
            raise InvalidInput(gettext_noop("The secret must not be empty."), field="sealed")
        if len(sealed) > self.policy.max_text_bytes + GCM_OVERHEAD:
            raise PayloadTooLarge(
                gettext_noop("Texts may be at most %(limit)s bytes."),
                params={"limit": self.policy.max_text_bytes},
            )
        record = self._record(
            secret_id=secret_id,
            kind=E2E_TEXT,
            payload=sealed,
            verifier=verifier,
            view_count=view_count,
            lifetime=lifetime,
        )
        # Every end-to-end create answers a receipt, as the resource API's do.
        record, receipt = self.lifecycle.with_receipt(record, True)
        self._put(record, {"created_text": 1})
        return self._created(record, receipt)

    def begin_file(self, secret_id: str) -> SealedBodyUpload:
        return SealedBodyUpload(self.lifecycle, secret_id)

    def create_file(
        self,
        *,
        upload: SealedBodyUpload,
        sealed_metadata: bytes,
        verifier: bytes,
        view_count: int = 1,
        lifetime: int | None = None,
    ) -> Created:
        if not GCM_OVERHEAD < len(sealed_metadata) <= MAX_METADATA_BYTES:
            raise InvalidInput(
                gettext_noop("Must be at most %(max_bytes)s bytes."),
                field="sealed_metadata",
                params={"max_bytes": MAX_METADATA_BYTES},
            )
        if upload.size < CHUNK_OVERHEAD:
            raise InvalidInput(gettext_noop("A sealed body has at least one chunk."), field="file")
        record = self._record(
            secret_id=upload.secret_id,
            kind=E2E_FILE,
            payload=sealed_metadata,
            verifier=verifier,
            view_count=view_count,
            lifetime=lifetime,
            size=upload.size,
        )
        # The blob was committed first, so no record ever points at a missing body.
        record, receipt = self.lifecycle.with_receipt(record, True)
        self._put(record, {"created_file": 1, "stored_bytes": upload.size})
        upload.owned = True
        return self._created(record, receipt)

    def _put(self, record: SecretRecord, counts: dict[str, int]) -> None:
        try:
            self.records.put(record, tally=Tally(self.lifecycle.clock(), counts))
        except RecordExists:
            # An id is issued once; a second create under it is a replay.
            raise AlreadyUsed() from None

    # -- reveal and burn --------------------------------------------------------

    def _unlock(self, secret_id: str, proof: bytes) -> tuple[SecretRecord, float]:
        """Return the live record the proof opens and when the attempt began, or raise ``SecretNotFound``."""
        record, _, started = self.lifecycle.attempt(secret_id, lambda record: _proven(record, proof))
        return record, started

    def reveal(self, *, secret_id: str, proof: bytes) -> SealedText | SealedFile:
        record, started = self._unlock(secret_id, proof)
        if record.kind == E2E_TEXT:
            return SealedText(sealed=record.payload, views_left=self.lifecycle.claim(record, started))
        # The server cannot decrypt; the body is passed on sealed, as stored.
        views_left, content = self.lifecycle.claim_body(record, started, lambda body: (b"", _read_all(body)))
        return SealedFile(
            sealed_metadata=record.payload,
            size=record.blob_size,
            views_left=views_left,
            content=content,
        )

    def burn(self, *, secret_id: str, proof: bytes) -> None:
        self.lifecycle.remove(*self._unlock(secret_id, proof))


def _proven(record: SecretRecord | None, proof: bytes) -> bool | None:
    """``True`` if ``proof`` opens ``record``; the same hash and comparison whether or not there is one."""
    live = record is not None and record.kind in KINDS and record.version == VERSION
    expected = verifier(proof, record.salt if live else _NO_DIGEST)
    if not hmac.compare_digest(expected, record.wrapped_key if live else _NO_VERIFIER) or not live:
        return None
    if not hmac.compare_digest(hashlib.sha256(record.payload).digest(), record.salt):
        return None  # altered in storage since it was created
    return True


def _read_all(body, size: int = 1024 * 1024) -> Iterator[bytes]:
    while chunk := body.read(size):
        yield chunk
