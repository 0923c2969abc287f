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
import logging
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import BinaryIO

from sharing.errors import StorageUnavailable

log = logging.getLogger(__name__)

__all__ = [
    "COUNTERS",
    "TOTAL",
    "BlobExists",
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
        "receipts_checked": "Receipts checked",  # receipt lookups that found one
        "revoked": "Revoked by receipt",  # secrets burned by their sender's receipt
        "stored_bytes": "File data stored",  # bytes of encrypted file data stored
    }
)


@dataclasses.dataclass(frozen=True)
class SecretRecord:
    """One stored secret. Every bytes field is ciphertext or public KDF input."""

    secret_id: str
    kind: str  # "text" or "file"
    version: int  # envelope format version (sharing.domain.crypto.FORMAT_VERSION)
    kdf: str  # the KDF the passphrase key comes from: "scrypt" or "hkdf-sha256"
    kdf_n: int  # scrypt's cost N (0 for HKDF)
    salt: bytes  # KDF salt
    wrapped_key: bytes  # the data key, sealed under the passphrase key
    payload: bytes  # text: the sealed text; file: the sealed file metadata
    views_left: int
    expires_at: int  # Unix seconds; at or after this instant the record is gone
    blob_size: int = 0  # bytes of the encrypted blob (file records only)
    failed_attempts: int = 0  # passphrase attempts reserved and not given back
    # What a receipt reads (sharing.domain.receipts). A record made without a
    # receipt has an empty ``receipt_hash`` and is never found by one.
    receipt_hash: str = ""  # SHA-256 (hex) of the sender's receipt token
    view_count: int = 0  # views it allowed when made
    views_taken: int = 0  # views claimed
    created_at: int = 0  # Unix seconds
    last_viewed_at: int = 0  # Unix seconds of the latest claim; 0 if none
    ended: str = ""  # a tombstone's ending: "used_up", "burned" or "destroyed"; "" while live

    def tombstone(self, ended: str) -> SecretRecord:
        """What is kept once the secret has ended: its receipt's facts, no key material, no views."""
        return dataclasses.replace(
            self, salt=b"", wrapped_key=b"", payload=b"", views_left=0, blob_size=0, ended=ended
        )


# How a secret ends; each leaves a tombstone (see RecordStore).
USED_UP, BURNED, DESTROYED = "used_up", "burned", "destroyed"


TOTAL = "total"  # the key of the all-time counters, beside one key per UTC day


def _checked(changes: Mapping[str, int]) -> Mapping[str, int]:
    unknown = set(changes) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown counters: {', '.join(sorted(unknown))}")
    if not all(type(n) is int for n in changes.values()):
        raise ValueError("counter changes are whole numbers")
    return MappingProxyType(dict(changes))


@dataclasses.dataclass(frozen=True)
class Tally:
    """
    The operators' counters that move with one state change, added on the UTC
    day of ``now`` and to the totals, only if the change happens:
    ``changes``, and ``if_last`` as well when the record goes with the step
    (the last view). Checked when made: every name is one of ``COUNTERS``,
    every change a whole number, so a bad tally fails before any change.

        Tally(now, {"views": 1}, if_last={"used_up": 1, "stored_bytes": -4096})
        # counts "views +1; if last: used_up +1, stored_bytes -4096"
    """

    now: float
    changes: Mapping[str, int]
    if_last: Mapping[str, int] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "changes", _checked(self.changes))
        object.__setattr__(self, "if_last", _checked(self.if_last))

    def counts(self, *, last: bool = False) -> dict[str, int]:
        """The non-zero changes to add: ``changes``, with ``if_last`` summed in when ``last``."""
        added = dict(self.changes)
        for name, n in self.if_last.items() if last else ():
            added[name] = added.get(name, 0) + n
        return {name: n for name, n in added.items() if n}

    def unchanged(self) -> dict[str, int]:
        """
        The same counters moved by nothing: what a step that changed no record
        writes where it must cost what a step that did costs (``reserve_attempt``).
        """
        return {name: 0 for name in self.changes}

    def __str__(self) -> str:
        def listed(changes: Mapping[str, int]) -> str:
            return ", ".join(f"{name} {n:+d}" for name, n in changes.items()) or "nothing"

        last = f"; if last: {listed(self.if_last)}" if self.if_last else ""
        return f"{listed(self.changes)}{last} on {utc_day(self.now).isoformat()}"


@dataclasses.dataclass(frozen=True)
class Usage:
    """The counters as read back: ``totals`` and one entry per day, oldest first."""

    totals: dict[str, int]
    days: list[tuple[datetime.date, dict[str, int]]]


def utc_day(now: float) -> datetime.date:
    return datetime.datetime.fromtimestamp(now, datetime.UTC).date()


def build_usage(
    totals: Mapping[str, int], by_day: Mapping[datetime.date, Mapping[str, int]], *, now: float, days: int
) -> Usage:
    """A ``Usage`` with every counter and every one of the ``days`` days up to ``now``'s, zeros filled in."""
    return Usage(
        totals={name: int(totals.get(name, 0)) for name in COUNTERS},
        days=[
            (day, {name: int(by_day.get(day, {}).get(name, 0)) for name in COUNTERS})
            for day in counter_span(now, days)
        ],
    )


def counter_days(now: float) -> tuple[str, str]:
    """The keys of the counters a change made at ``now`` adds to: its UTC day's, then the all-time ones."""
    return utc_day(now).isoformat(), TOTAL


def counter_span(now: float, days: int) -> list[datetime.date]:
    """The ``days`` UTC days up to ``now``'s, oldest first: the days ``read_counts`` answers for."""
    last = utc_day(now)
    return [last - datetime.timedelta(days=back) for back in range(days - 1, -1, -1)]


def usage_from_counters(stored: Mapping[str, Mapping[str, int]], *, now: float, days: int) -> Usage:
    """
    ``build_usage`` from the counters as a store keeps them: keyed by ISO day or
    ``TOTAL``; days outside the span are left out.
    """
    by_day = {datetime.date.fromisoformat(day): counts for day, counts in stored.items() if day != TOTAL}
    return build_usage(stored.get(TOTAL, {}), by_day, now=now, days=days)


class RecordExists(Exception):
    """``put`` found a record with the same id already stored."""


class BlobExists(Exception):
    """A blob is already committed under this id; it was left as it was."""


class BlobNotFound(Exception):
    """``open_read`` found no blob under that id."""


class RecordStore:
    """
    Small records keyed by secret id.

    A record is *live* while it has a view left and has not expired. Expiry is
    part of the contract, not an optimisation: a record whose
    ``expires_at <= now`` must behave exactly like an absent one in every
    operation below but ``sweep_expired``, whether or not it is still stored.

    A reveal or burn first *reserves* a passphrase attempt (``reserve_attempt``),
    before any key is derived, so parallel guesses can never exceed the cap;
    a right passphrase gives its reservation back with the view it claims
    (``claim_view``), the burn (``delete``) or ``release_attempt``; a wrong
    one keeps it as a failure. The conditional writes a client may retry
    after a lost answer are safe to retry: a retried ``put`` never fails its
    own create, a retried ``claim_view`` never takes two views, a retried
    ``delete`` reports the burn it made. (A retried reservation may count one
    attempt twice: the safe side.)

    A secret that ends before it expires (its last view, a burn, destruction)
    is not deleted but left as a *tombstone*: ``SecretRecord.tombstone``, with
    no key material and no views, so it reads as absent to every operation but
    ``find_receipt`` and keeps its id taken, until it expires and the sweep
    takes it like any record (counting nothing for it: it counted when it ended).
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

    def reserve_attempt(
        self, secret_id: str, *, now: float, limit: int, tally: Tally | None = None
    ) -> SecretRecord | None:
        """
        Atomically reserve one passphrase attempt on a live record that has
        fewer than ``limit`` attempts reserved or failed: add one to its
        ``failed_attempts`` and return the record as it is after. Return
        ``None`` if there is no such record.

        This step must cost the same whether or not a record was there: the
        same calls, in the same transaction or order, with the same writes.
        ``tally``'s counters are written either way, moved by
        ``tally.unchanged()`` (zeros) when nothing was reserved, so a miss
        writes and syncs what a hit does and the cost of a guess does not
        tell whether the id exists.
        """
        raise NotImplementedError(".reserve_attempt() must be overridden")

    def claim_view(self, secret_id: str, *, now: float, tally: Tally | None = None) -> int | None:
        """
        Atomically take one view for an attempt that reserved: decrement
        ``views_left`` and give back one reserved attempt, if the record is
        live at ``now`` and holds a reservation; count it in ``views_taken``
        and note ``now`` as ``last_viewed_at``.

        Return the views left after this claim; ``0`` means this was the last
        view and the secret is gone: a ``used_up`` tombstone in the same atomic
        step, or (where the backend cannot do both at once) at 0 views, which
        reads as absent, until it becomes one. Return ``None`` if no view could be
        claimed. Of any number of concurrent calls from any number of
        processes or machines, exactly ``views_left`` succeed, and a call the
        backend's client retries takes at most one view.
        """
        raise NotImplementedError(".claim_view() must be overridden")

    def release_attempt(self, secret_id: str, *, tally: Tally | None = None) -> None:
        """Give back one reserved attempt (a right passphrase that takes nothing)."""
        raise NotImplementedError(".release_attempt() must be overridden")

    def destroy(self, secret_id: str, *, limit: int, tally: Tally | None = None) -> SecretRecord | None:
        """
        Leave a ``destroyed`` tombstone if the record has not ended and its
        ``failed_attempts`` reached ``limit`` (every attempt it allows failed);
        return the record as it was, or ``None`` if it was not destroyed.
        Of any number of concurrent calls, at most one returns a record.
        """
        raise NotImplementedError(".destroy() must be overridden")

    def delete(self, secret_id: str, *, now: float, tally: Tally | None = None) -> bool:
        """
        Leave a ``burned`` tombstone if the record is live at ``now`` (a burn,
        or a revoke by receipt); return whether it was. A record that lost its
        last view to a concurrent claim, or expired, is left as it is.
        """
        raise NotImplementedError(".delete() must be overridden")

    def find_receipt(self, receipt_hash: str, *, now: float) -> SecretRecord | None:
        """
        The record or tombstone whose ``receipt_hash`` this is, if it has not
        expired at ``now``; else ``None``. Never matches an empty hash. Reads
        only: a receipt lookup changes nothing.
        """
        raise NotImplementedError(".find_receipt() must be overridden")

    def sweep_expired(self, *, now: float, tally: Tally | None = None) -> list[SecretRecord]:
        """
        Delete every record expired at ``now``; return the deleted records.
        ``tally.changes`` are counted once for each of them that was still live
        when it expired (see ``swept_counts``), in one addition.
        """
        raise NotImplementedError(".sweep_expired() must be overridden")

    @staticmethod
    def swept_counts(swept: list[SecretRecord], tally: Tally | None) -> dict[str, int]:
        """
        What a sweep counts: ``tally.changes`` once for each record that expired
        with a view left, and the blob bytes those records held off
        ``stored_bytes``. A record at 0 views is one a backend could not delete
        at its last view: it was counted as used up then, so it counts nothing.
        """
        if tally is None:
            return {}
        total: dict[str, int] = {}
        for record in swept:
            if record.views_left < 1:
                continue
            for name, n in {**tally.changes, "stored_bytes": -record.blob_size}.items():
                total[name] = total.get(name, 0) + n
        return {name: n for name, n in total.items() if n}

    # -- counters ---------------------------------------------------------------
    #
    # Every state change takes a ``tally``: counter changes to make if, and
    # only if, the change happens. A backend that can make both in one atomic
    # step does so (SQLite: one transaction). One that cannot makes the state
    # change first and then the counts (``count_after``); if counting then
    # fails, the change stands and the operation still returns its result,
    # logging the failure (a claimed view must reach its user; a count may be
    # lost, never made up).
    #
    # Every addition is atomic on the backend's side, so counts from any number
    # of processes and machines add up exactly.

    def add_counts(self, changes: Mapping[str, int], *, now: float) -> None:
        """
        Add ``changes`` (counter name -> whole number, see ``COUNTERS``) to the
        counters of ``now``'s UTC day and to the totals, atomically. Raise
        ``ValueError`` for an unknown name. A change of 0 is written like any
        other (see ``reserve_attempt``).
        """
        raise NotImplementedError(".add_counts() must be overridden")

    def count_after(self, changes: Mapping[str, int], *, now: float) -> None:
        """
        For backends that count after the change: add ``changes``; if that
        fails, log it and lose the count, never the change's result.
        """
        if not changes:
            return
        try:
            self.add_counts(changes, now=now)
        except StorageUnavailable:
            log.warning("Counters not updated after a change that succeeded")

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
        """
        Make the blob readable under its id; return its size in bytes. A
        committed blob is never replaced: if one is already there, discard
        what was written and raise ``BlobExists``. An id is put to use only
        by whoever stored its body first, which a record's put-if-absent
        then confirms.
        """
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
