"""
The storage contract: a record store for small encrypted records and a blob
store for encrypted file bodies.

Backends subclass ``RecordStore`` and ``BlobStore`` and are chosen by dotted
path in ``settings.SECRETS_STORES`` (see ``sharing.stores``). Every backend
passes the one contract suite in ``tests/stores/``. Stores only ever see
ciphertext; they never import Django, so the domain can be used and tested
without it.

Failures of the backing service are raised as ``StorageUnavailable`` (HTTP 503
at the edge). "Not there" is a normal result (``None``/``False``), not an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import BinaryIO

from sharing.errors import StorageUnavailable

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "BlobWriter",
    "RecordExists",
    "RecordStore",
    "SecretRecord",
    "StorageUnavailable",
]


@dataclasses.dataclass(frozen=True)
class SecretRecord:
    """One stored secret. Every bytes field is ciphertext or public KDF input."""

    secret_id: str
    kind: str  # "text" or "file"
    version: int  # envelope format version (sharing.domain.crypto.FORMAT_VERSION)
    kdf_n: int  # scrypt cost N used for this record
    salt: bytes  # scrypt salt
    wrapped_key: bytes  # the data key, sealed under the passphrase key
    payload: bytes  # text: the sealed text; file: the sealed file metadata
    views_left: int
    expires_at: int  # Unix seconds; at or after this instant the record is gone
    blob_size: int = 0  # bytes of the encrypted blob (file records only)


class RecordExists(Exception):
    """``put`` found a record with the same id already stored."""


class BlobNotFound(Exception):
    """``open_read`` found no blob under that id."""


class RecordStore:
    """
    Small records keyed by secret id.

    Expiry is part of the contract, not an optimisation: a record whose
    ``expires_at <= now`` must behave exactly like an absent one in ``get`` and
    ``claim_view``, whether or not it is still physically stored.
    """

    def __init__(self, **options):
        if options:
            raise TypeError(f"unknown options: {', '.join(sorted(options))}")

    def setup(self) -> None:
        """Create whatever the backend needs (tables, files). Idempotent."""
        raise NotImplementedError(".setup() must be overridden")

    def put(self, record: SecretRecord) -> None:
        """Store a new record. Raise ``RecordExists`` if the id is taken (expired or not)."""
        raise NotImplementedError(".put() must be overridden")

    def get(self, secret_id: str, *, now: float) -> SecretRecord | None:
        """Return the record, or ``None`` if absent, used up or expired at ``now``."""
        raise NotImplementedError(".get() must be overridden")

    def claim_view(self, secret_id: str, *, now: float) -> int | None:
        """
        Atomically take one view: decrement ``views_left`` if the record exists,
        has a view left and has not expired at ``now``.

        Return the views left after this claim; ``0`` means this was the last
        view and the record has been deleted in the same atomic step. Return
        ``None`` if no view could be claimed. Of any number of concurrent calls
        from any number of processes or machines, exactly ``views_left`` succeed.
        """
        raise NotImplementedError(".claim_view() must be overridden")

    def delete(self, secret_id: str) -> bool:
        """Delete the record. Return whether one was there."""
        raise NotImplementedError(".delete() must be overridden")

    def sweep_expired(self, *, now: float) -> list[SecretRecord]:
        """Delete every record expired at ``now``; return the deleted records."""
        raise NotImplementedError(".sweep_expired() must be overridden")

    def close(self) -> None:
        """Release connections; the store may be used again afterwards."""


class BlobWriter:
    """
    An encrypted blob being written. Data becomes readable only after
    ``commit``; ``abort`` (or leaving the ``with`` block by an exception)
    discards everything written.
    """

    def write(self, data: bytes) -> None:
        raise NotImplementedError(".write() must be overridden")

    def commit(self) -> int:
        """Make the blob readable under its id; return its size in bytes."""
        raise NotImplementedError(".commit() must be overridden")

    def abort(self) -> None:
        raise NotImplementedError(".abort() must be overridden")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.abort()
        return False


class BlobStore:
    """Encrypted file bodies, streamed in and out, keyed by secret id."""

    def __init__(self, **options):
        if options:
            raise TypeError(f"unknown options: {', '.join(sorted(options))}")

    def setup(self) -> None:
        """Create whatever the backend needs (folders, buckets). Idempotent."""
        raise NotImplementedError(".setup() must be overridden")

    def open_write(self, blob_id: str) -> BlobWriter:
        """Start writing a blob; memory use must not grow with its size."""
        raise NotImplementedError(".open_write() must be overridden")

    def open_read(self, blob_id: str) -> BinaryIO:
        """
        Return a readable binary stream (``read(n)``, ``close()``) of a committed
        blob. Raise ``BlobNotFound`` if there is none.
        """
        raise NotImplementedError(".open_read() must be overridden")

    def delete(self, blob_id: str) -> None:
        """Delete the blob; deleting a missing blob is not an error."""
        raise NotImplementedError(".delete() must be overridden")

    def list_ids(self, *, older_than: float) -> Iterator[str]:
        """
        Yield the ids of blobs last written before ``older_than`` (Unix seconds):
        committed ones, and any a writer left part-way that the backend can see
        (so a sweep can ``delete`` them).
        """
        raise NotImplementedError(".list_ids() must be overridden")

    def close(self) -> None:
        """Release connections; the store may be used again afterwards."""
