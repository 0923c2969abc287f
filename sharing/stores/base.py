"""
The storage contract: a record store for small encrypted records and a blob
store for encrypted file bodies.

Backends subclass ``RecordStore`` and ``BlobStore`` and are chosen by dotted
path in ``settings.SECRETS_STORES`` (see ``sharing.stores.handler``). Every backend
passes the one contract suite in ``tests/stores/``. Stores only ever see
ciphertext; they never import Django, so the domain can be used and tested
without it.

Failures of the backing service are raised as ``StorageUnavailable`` (HTTP 503
at the edge). "Not there" is a normal result (``None``/``False``), not an error.

The record store also keeps the operators' counters: aggregate numbers per UTC
day and in total, never anything keyed by or derived from a secret id.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import BinaryIO

from sharing.errors import StorageUnavailable

__all__ = [
    "COUNTERS",
    "BlobNotFound",
    "BlobStore",
    "BlobWriter",
    "RecordExists",
    "RecordStore",
    "SecretRecord",
    "StorageUnavailable",
    "Tally",
    "Usage",
]

# The operators' counters, in the order they are shown: name -> label. This is
# the one list every part that counts or shows them reads (the stores, the
# dashboard, its JSON), so a new counter is added here and nowhere else.
# All but ``stored_bytes`` only ever grow; that one is a level: + a file's blob
# size when it is created, - when the file goes by its last view, a burn or the
# sweep. A day's ``stored_bytes`` is that day's change.
COUNTERS: Mapping[str, str] = MappingProxyType(
    {
        "created_text": "Texts created",  # text secrets created
        "created_file": "Files created",  # file secrets created
        "views": "Views served",  # successful reveals
        "used_up": "Used up",  # secrets gone by their last view
        "burned": "Burned",  # secrets deleted by their holder
        "expired": "Expired",  # secrets deleted by the sweep after they expired
        "failed_attempts": "Wrong passphrases",  # for a secret that exists
        "destroyed": "Destroyed by guessing",  # deleted after too many wrong passphrases
        "stored_bytes": "File data stored",  # bytes of encrypted file data stored
    }
)


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
    failed_attempts: int = 0  # wrong passphrases tried so far


@dataclasses.dataclass(frozen=True)
class Tally:
    """
    Counter changes that go with one state change. They are added, on the UTC
    day of ``now`` and to the totals, only if the change happens.
    """

    now: float
    changes: Mapping[str, int]
    # claim_view and add_failure only: added as well when the record went with
    # this step (the last view; the failure that reached the limit).
    if_last: Mapping[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Usage:
    """The counters as read back: ``totals`` and one entry per day, oldest first."""

    totals: dict[str, int]
    days: list[tuple[datetime.date, dict[str, int]]]


def utc_day(now: float) -> datetime.date:
    return datetime.datetime.fromtimestamp(now, datetime.UTC).date()


def checked_counts(changes: Mapping[str, int]) -> dict[str, int]:
    """Return the non-zero changes; refuse names outside ``COUNTERS`` and non-integers."""
    unknown = set(changes) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown counters: {', '.join(sorted(unknown))}")
    if not all(type(n) is int for n in changes.values()):
        raise ValueError("counter changes are whole numbers")
    return {name: n for name, n in changes.items() if n}


def build_usage(
    totals: Mapping[str, int], by_day: Mapping[datetime.date, Mapping[str, int]], *, now: float, days: int
) -> Usage:
    """A ``Usage`` with every counter and every one of the ``days`` days up to ``now``'s, zeros filled in."""
    last = utc_day(now)
    span = [last - datetime.timedelta(days=back) for back in range(days - 1, -1, -1)]
    return Usage(
        totals={name: int(totals.get(name, 0)) for name in COUNTERS},
        days=[(day, {name: int(by_day.get(day, {}).get(name, 0)) for name in COUNTERS}) for day in span],
    )


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

    def put(self, record: SecretRecord, *, tally: Tally | None = None) -> None:
        """Store a new record. Raise ``RecordExists`` if the id is taken (expired or not)."""
        raise NotImplementedError(".put() must be overridden")

    def get(self, secret_id: str, *, now: float) -> SecretRecord | None:
        """Return the record, or ``None`` if absent, used up or expired at ``now``."""
        raise NotImplementedError(".get() must be overridden")

    def claim_view(self, secret_id: str, *, now: float, tally: Tally | None = None) -> int | None:
        """
        Atomically take one view: decrement ``views_left`` if the record exists,
        has a view left and has not expired at ``now``.

        Return the views left after this claim; ``0`` means this was the last
        view and the record is gone: deleted in the same atomic step, or (where
        the backend cannot do both at once) left in a state that reads as
        absent to ``get`` and ``claim_view`` until it is deleted. Return
        ``None`` if no view could be claimed. Of any number of concurrent calls
        from any number of processes or machines, exactly ``views_left`` succeed.
        """
        raise NotImplementedError(".claim_view() must be overridden")

    def add_failure(self, secret_id: str, *, now: float, limit: int, tally: Tally | None = None) -> bool:
        """
        Atomically count one wrong passphrase against a live record (as for
        ``claim_view``: present, a view left, not expired at ``now``). When the
        count reaches ``limit`` the record goes in the same step, as after its
        last view, and ``True`` is returned: the secret is destroyed. Return
        ``False`` otherwise, including when there is no live record. Of any
        number of concurrent calls, at most one returns ``True``.
        """
        raise NotImplementedError(".add_failure() must be overridden")

    def delete(self, secret_id: str, *, tally: Tally | None = None) -> bool:
        """Delete the record. Return whether one was there."""
        raise NotImplementedError(".delete() must be overridden")

    def sweep_expired(
        self, *, now: float, tally: Callable[[SecretRecord], Mapping[str, int]] | None = None
    ) -> list[SecretRecord]:
        """
        Delete every record expired at ``now``; return the deleted records.
        ``tally(record)`` gives the counter changes for each record deleted;
        their sum is counted on ``now``'s day.
        """
        raise NotImplementedError(".sweep_expired() must be overridden")

    # -- counters ---------------------------------------------------------------
    #
    # ``put``, ``claim_view``, ``delete`` and ``sweep_expired`` take a ``tally``:
    # counter changes to make if, and only if, the state change happens. A
    # backend that can make both in one atomic step does so (SQLite: one
    # transaction). One that cannot makes the state change first and then the
    # counts; if counting then fails, the change stands and the operation still
    # returns its result, logging the failure (a claimed view must reach its
    # user; a count may be lost, never made up).
    #
    # Every addition is atomic on the backend's side, so counts from any number
    # of processes and machines add up exactly.

    def add_counts(self, changes: Mapping[str, int], *, now: float) -> None:
        """
        Add ``changes`` (counter name -> whole number, see ``COUNTERS``) to the
        counters of ``now``'s UTC day and to the totals, atomically. Raise
        ``ValueError`` for an unknown name.
        """
        raise NotImplementedError(".add_counts() must be overridden")

    def read_counts(self, *, now: float, days: int = 30) -> Usage:
        """
        Return the totals and the counters of the ``days`` UTC days ending with
        ``now``'s, oldest first; every counter of every day is there (0 if never
        counted).
        """
        raise NotImplementedError(".read_counts() must be overridden")

    def check(self) -> None:
        """Return if the store answers; raise ``StorageUnavailable`` if not. Changes no data."""
        raise NotImplementedError(".check() must be overridden")

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
        (so a sweep can ``delete`` them). Names this store did not make (a
        stray file, another application's object under the prefix) may be
        listed too: the sweep deletes only names shaped like secret ids.
        """
        raise NotImplementedError(".list_ids() must be overridden")

    def check(self) -> None:
        """Return if the store answers; raise ``StorageUnavailable`` if not. Changes no data."""
        raise NotImplementedError(".check() must be overridden")

    def close(self) -> None:
        """Release connections; the store may be used again afterwards."""
