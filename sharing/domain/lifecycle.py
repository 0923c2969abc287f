"""
The secret lifecycle, in one place (DESIGN.md §3): create, reveal, burn, sweep.

``Lifecycle`` works on any record store and blob store that keep the contract
in ``sharing.stores.base``; it knows nothing of Django or HTTP. Its rules:

- create: validate, seal, write the blob (files) before the record, and the
  record only if its id is free. A generated passphrase is keyed by HKDF, a
  person's own is stretched by scrypt (``sharing.domain.passphrases``);
- reveal: reserve one passphrase attempt atomically, then derive the key the
  way the passphrase's kind says, prove it by decrypting, then atomically
  claim one view (which gives the attempt back), and only then hand out the
  plaintext; a wrong passphrase keeps its attempt, and the one that uses the
  last attempt destroys the secret;
- burn: whoever holds id and passphrase deletes the secret now, if it is live;
- unknown, wrong passphrase, used up and expired are one ``SecretNotFound``,
  at one cost: the same reservation step (the same storage writes) and the
  derivation the passphrase's kind costs, whatever is stored.

It is also the one place that decides what the operators' counters count
(``COUNTERS`` in ``sharing.stores.base``): each state change hands the record
store a ``Tally`` to add with it, so the counts move in the same atomic step
where the backend can do that.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from sharing.domain import crypto, passphrases, receipts
from sharing.errors import (
    FILE_TOO_LARGE,
    InvalidInput,
    PayloadTooLarge,
    ReceiptNotFound,
    SecretNotFound,
    StorageUnavailable,
    gettext_noop,
)
from sharing.stores.base import (
    BURNED,
    BlobExists,
    BlobNotFound,
    BlobStore,
    RecordExists,
    RecordStore,
    SecretRecord,
    Tally,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

ID_LENGTH = 16
ID_ALPHABET = string.ascii_letters + string.digits
TEXT, FILE = "text", "file"
# Kinds whose body is a blob; "e2e-file" is an end-to-end file (sharing.domain.e2e).
BLOB_KINDS = frozenset({FILE, "e2e-file"})
_ID_CHARS = frozenset(ID_ALPHABET)
# What a miss derives against: no record's salt, and a wrapped key that never opens.
_NO_SALT = b"\0" * crypto.SALT_BYTES
_NO_WRAPPED_KEY = b"\0" * (crypto.NONCE_BYTES + crypto.KEY_BYTES + crypto.TAG_BYTES)
_NO_ID = "0" * ID_LENGTH


def new_secret_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def is_secret_id(value: str) -> bool:
    return len(value) == ID_LENGTH and _ID_CHARS.issuperset(value)


@dataclass(frozen=True)
class Policy:
    """The limits in force; built from settings at the edge."""

    max_views: int = 10
    min_lifetime: int = 5 * 60
    max_lifetime: int = 5 * 86400
    max_text_bytes: int = 64 * 1024
    max_file_bytes: int = 1024**3
    min_passphrase_length: int = 12
    max_failed_attempts: int = 10  # the wrong passphrase that makes this many destroys the secret
    kdf_n: int = crypto.OWN_SCRYPT_N  # scrypt's N for a person's own passphrase

    def __post_init__(self):
        if not crypto.scrypt_n_allowed(self.kdf_n):
            raise ValueError(f"scrypt N {self.kdf_n} is not a power of two this code derives with")

    def check(self, *, view_count: int, lifetime: int | None, passphrase: str | None) -> None:
        if not 1 <= view_count <= self.max_views:
            raise InvalidInput(
                gettext_noop("Must be between 1 and %(max)s."),
                field="view_count",
                params={"max": self.max_views},
            )
        if lifetime is not None and not self.min_lifetime <= lifetime <= self.max_lifetime:
            raise InvalidInput(
                gettext_noop("Must be between %(min)s and %(max)s seconds."),
                field="lifetime",
                params={"min": self.min_lifetime, "max": self.max_lifetime},
            )
        if passphrase is not None and len(passphrase) < self.min_passphrase_length:
            raise InvalidInput(
                gettext_noop("Must be at least %(min)s characters."),
                field="passphrase",
                params={"min": self.min_passphrase_length},
            )
        if passphrase is not None and passphrases.is_generated(passphrase):
            # It would be keyed without stretching, as only a generated one may be.
            raise InvalidInput(passphrases.REFUSED, field="passphrase")


@dataclass(frozen=True)
class Created:
    secret_id: str
    passphrase: str
    kind: str
    view_count: int
    expires_at: int
    receipt: str | None = None  # the sender's receipt token, when one was asked for


@dataclass(frozen=True)
class RevealedText:
    text: str
    views_left: int
    kind: str = TEXT


@dataclass
class RevealedFile:
    """A claimed file view: metadata now, plaintext as it streams (see ``PlaintextStream``)."""

    name: str
    size: int
    views_left: int
    content: PlaintextStream
    kind: str = FILE


class PlaintextStream:
    """
    Iterates a file's plaintext chunk by chunk. ``close()`` always releases the
    blob and, after the last view, deletes it, even if iteration never began
    (a client that hangs up before the first byte).
    """

    def __init__(self, first: bytes, rest: Iterator[bytes], on_close: Callable[[], None]):
        self._first, self._rest, self._on_close = first, rest, on_close

    def __iter__(self) -> Iterator[bytes]:
        if self._first:
            yield self._first
        yield from self._rest

    def close(self) -> None:
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()


class FileUpload:
    """
    A file being sealed into the blob store as it arrives, before the passphrase
    is known. ``finish`` returns it ready for ``Lifecycle.create_file``;
    ``discard`` deletes the blob unless a record now owns it.
    """

    def __init__(self, lifecycle: Lifecycle):
        self._lifecycle = lifecycle
        self.secret_id = new_secret_id()
        self.data_key = crypto.new_data_key()
        self._encryptor = crypto.FileEncryptor(self.data_key, secret_id=self.secret_id)
        self._writer = lifecycle.blobs.open_write(self.secret_id)
        self.sealed_metadata = b""
        self.blob_size = 0
        self.owned = False  # set once a record refers to the blob

    @property
    def size(self) -> int:
        return self._encryptor.size

    def write(self, data: bytes) -> None:
        if self._encryptor.size + len(data) > self._lifecycle.policy.max_file_bytes:
            self.discard()
            raise PayloadTooLarge(FILE_TOO_LARGE, params={"limit": self._lifecycle.policy.max_file_bytes})
        sealed = self._encryptor.update(data)
        if sealed:
            self._writer.write(sealed)

    def finish(self, *, name: str, content_type: str) -> FileUpload:
        last, self.sealed_metadata = self._encryptor.finalize(name=name, content_type=content_type)
        self._writer.write(last)
        try:
            self.blob_size = self._writer.commit()
        except BlobExists:
            raise StorageUnavailable() from None  # an id clash, as in Lifecycle._put_new
        return self

    def discard(self) -> None:
        if self.owned:
            return
        if self.blob_size:
            self._lifecycle.blobs.delete(self.secret_id)
        else:
            self._writer.abort()


class Lifecycle:
    def __init__(
        self,
        *,
        records: RecordStore,
        blobs: BlobStore,
        policy: Policy,
        clock: Callable[[], float] = time.time,
        derive: Callable[[str, bytes, int], bytes] = crypto.derive_key,
    ):
        """
        ``derive`` is scrypt, for own passphrases; the service passes it
        through a per-machine cap on derivations. HKDF, for generated ones,
        takes microseconds and needs no cap.
        """
        self.records, self.blobs, self.policy, self.clock = records, blobs, policy, clock
        self.derive = derive

    def _kek(self, passphrase: str, salt: bytes, kdf: str, n: int) -> bytes:
        if kdf == crypto.HKDF_SHA256:
            return crypto.expand_key(passphrase, salt)
        return self.derive(passphrase, salt, n)

    # -- create ---------------------------------------------------------------

    def _seal_record(
        self,
        *,
        secret_id: str,
        kind: str,
        data_key: bytes,
        payload: bytes,
        view_count: int,
        lifetime: int | None,
        passphrase: str | None,
        blob_size: int = 0,
    ) -> tuple[SecretRecord, str]:
        self.policy.check(view_count=view_count, lifetime=lifetime, passphrase=passphrase)
        if passphrase is None:
            passphrase, kdf, n = passphrases.new_passphrase(), crypto.HKDF_SHA256, 0
        else:
            kdf, n = crypto.SCRYPT, self.policy.kdf_n
        salt = crypto.new_salt()
        record = SecretRecord(
            secret_id=secret_id,
            kind=kind,
            version=crypto.FORMAT_VERSION,
            kdf=kdf,
            kdf_n=n,
            salt=salt,
            wrapped_key=crypto.wrap_key(self._kek(passphrase, salt, kdf, n), data_key, secret_id=secret_id),
            payload=payload,
            views_left=view_count,
            expires_at=int(self.clock()) + (lifetime or self.policy.max_lifetime),
            blob_size=blob_size,
        )
        return record, passphrase

    def _created(self, record: SecretRecord, passphrase: str, receipt: str | None = None) -> Created:
        return Created(
            secret_id=record.secret_id,
            passphrase=passphrase,
            kind=record.kind,
            view_count=record.views_left,
            expires_at=record.expires_at,
            receipt=receipt,
        )

    def with_receipt(self, record: SecretRecord, receipt: bool) -> tuple[SecretRecord, str | None]:
        """
        The record with what its receipt will read (views allowed, when made)
        and, if ``receipt``, a new receipt token, kept in the record only as its hash.
        """
        token = receipts.new_receipt() if receipt else None
        record = dataclasses.replace(
            record,
            view_count=record.views_left,
            created_at=int(self.clock()),
            receipt_hash=receipts.receipt_hash(token) if token else "",
        )
        return record, token

    def create_text(
        self,
        *,
        text: str,
        view_count: int = 1,
        lifetime: int | None = None,
        passphrase: str | None = None,
        receipt: bool = False,
    ) -> Created:
        plaintext = text.encode("utf-8")
        if not plaintext:
            raise InvalidInput(gettext_noop("The secret must not be empty."), field="secret")
        if len(plaintext) > self.policy.max_text_bytes:
            raise PayloadTooLarge(
                gettext_noop("Texts may be at most %(limit)s bytes."),
                params={"limit": self.policy.max_text_bytes},
            )
        secret_id = new_secret_id()
        data_key = crypto.new_data_key()
        record, passphrase_used = self._seal_record(
            secret_id=secret_id,
            kind=TEXT,
            data_key=data_key,
            payload=crypto.seal_text(data_key, plaintext, secret_id=secret_id),
            view_count=view_count,
            lifetime=lifetime,
            passphrase=passphrase,
        )
        record, token = self.with_receipt(record, receipt)
        self._put_new(record, {"created_text": 1})
        return self._created(record, passphrase_used, token)

    def _put_new(self, record: SecretRecord, counts: dict[str, int]) -> None:
        """
        Store a new secret under the id it drew. Ids are 95 random bits, so
        a clash is never expected; if one happens all the same, the secret
        that has the id is left whole and this create fails as a storage
        failure does (503, try again). It is not drawn again: a file's chunks
        were sealed under the id as they arrived.
        """
        try:
            self.records.put(record, tally=Tally(self.clock(), counts))
        except RecordExists:
            raise StorageUnavailable() from None

    def begin_file(self) -> FileUpload:
        return FileUpload(self)

    def create_file(
        self,
        *,
        upload: FileUpload,
        view_count: int = 1,
        lifetime: int | None = None,
        passphrase: str | None = None,
        receipt: bool = False,
    ) -> Created:
        record, passphrase_used = self._seal_record(
            secret_id=upload.secret_id,
            kind=FILE,
            data_key=upload.data_key,
            payload=upload.sealed_metadata,
            view_count=view_count,
            lifetime=lifetime,
            passphrase=passphrase,
            blob_size=upload.blob_size,
        )
        record, token = self.with_receipt(record, receipt)
        # The blob was committed first, so no record ever points at a missing body;
        # if the put fails, discarding the upload deletes the blob.
        self._put_new(record, {"created_file": 1, "stored_bytes": upload.blob_size})
        upload.owned = True
        return self._created(record, passphrase_used, token)

    # -- reveal and burn --------------------------------------------------------

    def attempt(
        self, secret_id: str, opens: Callable[[SecretRecord | None], T | None]
    ) -> tuple[SecretRecord, T, float]:
        """
        The one way into a stored secret, of any kind: reserve one attempt on
        it, atomically and before any key work, then ``opens(record)`` (the
        record, or ``None`` if there was no live one) proves what the caller
        sent and returns what it opened, or ``None``. Return the record, that,
        and the time the attempt began; or raise the one ``SecretNotFound``,
        leaving the attempt spent. The attempt that uses the last one a
        secret allows destroys it.

        ``opens`` must do the same work for ``None``, a record it cannot open
        and a wrong proof, so that what a miss costs depends only on what the
        caller sent: the reservation costs the same whatever is stored.
        """
        started = self.clock()
        limit = self.policy.max_failed_attempts
        # A malformed id names no secret; a fresh random one stands in for it,
        # so it costs what any miss costs and no hostile key reaches the store.
        probe = secret_id if is_secret_id(secret_id) else new_secret_id()
        record = self.records.reserve_attempt(
            probe, now=started, limit=limit, tally=Tally(started, {"failed_attempts": 1})
        )
        opened = opens(record)
        if opened is None:
            if record is not None and record.failed_attempts >= limit:
                self._destroy(record, started)
            raise SecretNotFound()
        return record, opened, started

    def _unlock(self, secret_id: str, passphrase: str, kind: str | None) -> tuple[SecretRecord, bytes, float]:
        record, data_key, started = self.attempt(secret_id, lambda record: self._try_key(record, passphrase))
        if kind is not None and record.kind != kind:
            # The right passphrase on the other kind's route takes nothing; its attempt goes back.
            self.records.release_attempt(record.secret_id, tally=Tally(started, {"failed_attempts": -1}))
            raise SecretNotFound()
        return record, data_key, started

    def _try_key(self, record: SecretRecord | None, passphrase: str) -> bytes | None:
        """
        The record's data key if ``passphrase`` opens it, else ``None``.

        A generated passphrase is only ever tried through HKDF, an own one only
        through scrypt: against a record of the other kind, or none, it spends
        exactly what a miss of its own kind spends. Version 1 records, made
        before passphrases had kinds, open through scrypt at the cost they
        carry, whatever the passphrase's form, until they expire.
        """
        generated = passphrases.is_generated(passphrase)
        usable = (
            record is not None
            and record.kind in (TEXT, FILE)
            and crypto.can_open(record.version, record.kdf, record.kdf_n)  # not damaged or foreign
        )
        hit = usable and (record.version == 1 or generated == (record.kdf == crypto.HKDF_SHA256))
        if hit:
            kek = self._kek(passphrase, record.salt, record.kdf, record.kdf_n)
            wrapped, secret_id, version = record.wrapped_key, record.secret_id, record.version
        else:
            miss = (crypto.HKDF_SHA256, 0) if generated else (crypto.SCRYPT, self.policy.kdf_n)
            kek = self._kek(passphrase, _NO_SALT, *miss)
            wrapped, secret_id, version = _NO_WRAPPED_KEY, _NO_ID, crypto.FORMAT_VERSION
        try:
            data_key = crypto.unwrap_key(kek, wrapped, secret_id=secret_id, version=version)
        except crypto.DecryptionFailed:
            return None
        return data_key if hit else None

    def _destroy(self, record: SecretRecord, started: float) -> None:
        """The attempt that used the last one a secret allows destroys it (unless a claim gave one back)."""
        tally = Tally(started, {"destroyed": 1, "stored_bytes": -record.blob_size})
        # The answer is the same 404 whatever happens here: a storage outage
        # must not turn it into a 503 that tells the guesser the id exists.
        try:
            limit = self.policy.max_failed_attempts
            destroyed = self.records.destroy(record.secret_id, limit=limit, tally=tally)
            if destroyed and record.kind in BLOB_KINDS:
                self.blobs.delete(record.secret_id)
        except StorageUnavailable:
            log.warning("Could not destroy a secret that ran out of attempts")

    def claim(self, record: SecretRecord, started: float) -> int:
        """Take one view of an opened record for the attempt begun at ``started``; its attempt goes back."""
        # The counts travel with the claim: one atomic step where the store can
        # (SQLite), so no second round trip can fail after the view is taken.
        # A store that must count separately logs a failed count and still
        # returns the claim (the contract in sharing.stores.base): the user's
        # view is spent either way, so it must reach them; a lost count is the
        # lesser harm. The attempt's reservation is given back with the view,
        # on the day it was counted.
        tally = Tally(
            started,
            {"views": 1, "failed_attempts": -1},
            if_last={"used_up": 1, "stored_bytes": -record.blob_size},
        )
        views_left = self.records.claim_view(record.secret_id, now=self.clock(), tally=tally)
        if views_left is None:
            # The passphrase was right, but the last view went to another reader
            # meanwhile (or the secret expired): no wrong passphrase to count.
            self.records.count_after({"failed_attempts": -1}, now=started)
            raise SecretNotFound()
        return views_left

    def reveal(
        self, *, secret_id: str, passphrase: str, kind: str | None = None
    ) -> RevealedText | RevealedFile:
        record, data_key, started = self._unlock(secret_id, passphrase, kind)
        try:
            if record.kind == TEXT:
                text = crypto.open_text(data_key, record.payload, secret_id=secret_id, version=record.version)
                return RevealedText(text=text.decode("utf-8"), views_left=self.claim(record, started))
            return self._reveal_file(record, data_key, started)
        except crypto.DecryptionFailed:
            raise SecretNotFound() from None

    def _reveal_file(self, record: SecretRecord, data_key: bytes, started: float) -> RevealedFile:
        secret_id = record.secret_id
        meta = crypto.open_metadata(data_key, record.payload, secret_id=secret_id, version=record.version)

        def decrypt(body: BinaryIO) -> tuple[bytes, Iterator[bytes]]:
            decryptor = crypto.FileDecryptor(
                data_key, record.payload, secret_id=secret_id, version=record.version
            )
            chunks = decryptor.chunks(body.read)
            return next(chunks), chunks  # the first chunk proves the body belongs to this record

        views_left, content = self.claim_body(record, started, decrypt)
        return RevealedFile(name=meta.name, size=meta.size, views_left=views_left, content=content)

    def claim_body(
        self,
        record: SecretRecord,
        started: float,
        prepare: Callable[[BinaryIO], tuple[bytes, Iterator[bytes]]],
    ) -> tuple[int, PlaintextStream]:
        """
        Open ``record``'s body, let ``prepare`` check it and turn it into a first
        chunk and the rest, and only then claim a view. The body is closed if any
        of that fails; else the stream closes it when the reader is done, and
        deletes the blob once the last view has been read.
        """
        secret_id = record.secret_id
        try:
            body = self.blobs.open_read(secret_id)
        except BlobNotFound:
            raise SecretNotFound() from None
        views_left = None
        try:
            first, rest = prepare(body)
            views_left = self.claim(record, started)
        finally:
            if views_left is None:
                body.close()

        def release() -> None:
            body.close()
            if views_left == 0:
                self.blobs.delete(secret_id)

        return views_left, PlaintextStream(first, rest, release)

    def burn(self, *, secret_id: str, passphrase: str, kind: str | None = None) -> None:
        record, _, started = self._unlock(secret_id, passphrase, kind)
        self.remove(record, started)

    def remove(self, record: SecretRecord, started: float) -> None:
        """Delete an opened record (a burn) and its body, if it is still live; else ``SecretNotFound``."""
        tally = Tally(started, {"burned": 1, "stored_bytes": -record.blob_size, "failed_attempts": -1})
        # Only a live record: one whose last view was just claimed is the
        # reader's, and its blob is still streaming to them.
        if not self.records.delete(record.secret_id, now=self.clock(), tally=tally):
            self.records.count_after({"failed_attempts": -1}, now=started)  # right, but too late
            raise SecretNotFound()
        if record.kind in BLOB_KINDS:
            self.blobs.delete(record.secret_id)

    # -- housekeeping -----------------------------------------------------------

    # -- receipts ---------------------------------------------------------------

    def _by_receipt(self, token: str, now: float) -> SecretRecord:
        record = (
            self.records.find_receipt(receipts.receipt_hash(token), now=now)
            if receipts.is_receipt(token)
            else None
        )
        if record is None:
            raise ReceiptNotFound()
        return record

    def receipt_status(self, *, token: str) -> receipts.ReceiptStatus:
        """How the secret stands. Changes nothing but the operators' count of lookups."""
        now = self.clock()
        status = receipts.status_of(self._by_receipt(token, now), now=now)
        try:
            self.records.add_counts({"receipts_checked": 1}, now=now)
        except StorageUnavailable:
            log.warning("Could not count a receipt lookup")
        return status

    def revoke(self, *, token: str) -> receipts.ReceiptStatus:
        """Burn the secret if it is live, without its passphrase; return how it stands after."""
        now = self.clock()
        record = self._by_receipt(token, now)
        tally = Tally(now, {"revoked": 1, "stored_bytes": -record.blob_size})
        if self.records.delete(record.secret_id, now=now, tally=tally):
            if record.kind in BLOB_KINDS:
                self.blobs.delete(record.secret_id)
            record = record.tombstone(BURNED)
        else:
            # It ended meanwhile (a last view, a burn) or was already over: say how.
            record = self.records.find_receipt(record.receipt_hash, now=now) or record
        return receipts.status_of(record, now=now)

    def sweep(self, *, grace_seconds: int) -> tuple[int, int]:
        """
        Delete expired records and their blobs, then blobs no record refers to
        that are older than ``grace_seconds`` (younger ones may be uploads whose
        record is about to be written). Return (records, blobs) deleted.
        """
        now = self.clock()
        expired = self.records.sweep_expired(now=now, tally=Tally(now, {"expired": 1}))
        for record in expired:
            if record.kind in BLOB_KINDS:
                self.blobs.delete(record.secret_id)
        orphans = 0
        for blob_id in list(self.blobs.list_ids(older_than=now - grace_seconds)):
            # A bucket, a prefix or a folder may hold what is not ours: only
            # names this service could have made are candidates.
            if is_secret_id(blob_id) and self.records.get(blob_id, now=now) is None:
                self.blobs.delete(blob_id)
                orphans += 1
        return len(expired), orphans
