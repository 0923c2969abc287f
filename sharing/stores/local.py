"""
The embedded default: records in one SQLite file, blobs as files, both under
DATA_DIR. Needs no set-up and is safe with many worker processes on one
machine: SQLite in WAL mode serialises writers, and every change that must be
atomic is one ``BEGIN IMMEDIATE`` transaction.

The operators' counters sit in a table of their own beside the secrets, one
row per (UTC day, counter) plus a "total" row per counter, and are added to by
UPSERT in the same transaction as the state change they count.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, TypeVar

from sharing.errors import StorageUnavailable
from sharing.privatefiles import private_dir, private_file
from sharing.sqlite import ConnectionPerThread, WriteQueue
from sharing.stores.base import (
    BURNED,
    DESTROYED,
    TOTAL,
    USED_UP,
    BlobExists,
    BlobNotFound,
    BlobStore,
    BlobWriter,
    RecordExists,
    RecordStore,
    SecretRecord,
    Tally,
    Usage,
    counter_days,
    counter_span,
    usage_from_counters,
)

T = TypeVar("T")

# The schema's version is kept in the database (PRAGMA user_version), so a
# database made by an older release is upgraded in place, once, by the first
# connection that finds it behind. Databases from before the version was kept
# read 0 and hold version 1's tables.
SCHEMA_VERSION = 3
# Only records made with a receipt are in it.
_RECEIPT_INDEX = "CREATE UNIQUE INDEX secrets_receipt ON secrets (receipt_hash) WHERE receipt_hash != ''"
# The tables as version 1 made them. A new database starts from them and takes
# every upgrade, so a new database and an upgraded one cannot drift apart.
VERSION_1_TABLES = [
    """CREATE TABLE secrets (
        secret_id   TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        version     INTEGER NOT NULL,
        kdf_n       INTEGER NOT NULL,
        salt        BLOB NOT NULL,
        wrapped_key BLOB NOT NULL,
        payload     BLOB NOT NULL,
        views_left  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        blob_size   INTEGER NOT NULL DEFAULT 0,
        failed_attempts INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID""",
    "CREATE INDEX secrets_expires_at ON secrets (expires_at)",
    """CREATE TABLE counters (
        day  TEXT NOT NULL,  -- 'YYYY-MM-DD' (UTC), or TOTAL
        name TEXT NOT NULL,
        n    INTEGER NOT NULL,
        PRIMARY KEY (day, name)
    ) WITHOUT ROWID""",
]
# Each step takes the schema from the version it is keyed by to the next.
_UPGRADES = {
    # Passphrase kinds: records made before them were all keyed by scrypt.
    1: ["ALTER TABLE secrets ADD COLUMN kdf TEXT NOT NULL DEFAULT 'scrypt'"],
    # Receipts: what they read, and tombstones in place of deleted records.
    2: [
        *(
            f"ALTER TABLE secrets ADD COLUMN {column}"
            for column in (
                "receipt_hash TEXT NOT NULL DEFAULT ''",
                "view_count INTEGER NOT NULL DEFAULT 0",
                "views_taken INTEGER NOT NULL DEFAULT 0",
                "created_at INTEGER NOT NULL DEFAULT 0",
                "last_viewed_at INTEGER NOT NULL DEFAULT 0",
                "ended TEXT NOT NULL DEFAULT ''",
            )
        ),
        _RECEIPT_INDEX,
    ],
}
_FIELDS = [field for field in SecretRecord.__dataclass_fields__]
_COLUMNS = ", ".join(_FIELDS)
_LIVE = "secret_id = ? AND views_left >= 1 AND expires_at > ?"
# A tombstone: the secret ended (its ending is the parameter); no key material, no views.
_BURY = "ended = ?, views_left = 0, blob_size = 0, salt = x'', wrapped_key = x'', payload = x''"


class SQLiteRecordStore(RecordStore):
    def __init__(self, *, path: str, timeout: float = 10.0):
        super().__init__()
        self.path = Path(path)
        self.timeout = timeout
        self._connections = ConnectionPerThread(self._open)
        self._writers = WriteQueue(
            self.path.with_name(self.path.name + ".writers"), timeout, self._connections.get
        )

    def _open(self) -> sqlite3.Connection:
        # SQLite gives its -wal and -shm files the database file's mode.
        private_dir(self.path.parent)
        private_file(self.path)
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=True)
        db.execute("PRAGMA journal_mode=WAL")
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            self._migrate(db)
        return db

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        """Create the tables, or bring older ones up to ``SCHEMA_VERSION``; one writer at a time."""
        db.execute("PRAGMA synchronous=FULL")
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'secrets'").fetchone()
                if not exists:
                    for statement in VERSION_1_TABLES:
                        db.execute(statement)
                version = 1
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"the database has schema version {version}; this release knows up to {SCHEMA_VERSION}"
                )
            while version < SCHEMA_VERSION:
                for statement in _UPGRADES[version]:
                    db.execute(statement)
                version += 1
            db.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _write(self, work: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """
        ``work(db)`` in one ``BEGIN IMMEDIATE`` transaction, committed with
        the work other threads queued meanwhile (``WriteQueue.run``). A
        durable one (synchronous=FULL) is on disk when it returns: a view,
        once claimed, stays claimed after a power cut. One that is not
        (NORMAL) survives any crash of the process but may be lost with the
        power; it costs no fsync (about 7 ms on a common disk), and the next
        durable commit syncs it too.
        """
        try:
            return self._writers.run(work, durable=durable)
        except sqlite3.IntegrityError:
            raise
        except (sqlite3.Error, OSError) as e:  # OSError: the folder is unusable, or a writer timed out
            raise StorageUnavailable() from e

    def _query(self, sql: str, params: tuple) -> list[tuple]:
        try:
            return self._connections.get().execute(sql, params).fetchall()
        except (sqlite3.Error, OSError) as e:
            raise StorageUnavailable() from e

    def setup(self) -> None:
        self._query("SELECT 1", ())

    @staticmethod
    def _count(db: sqlite3.Connection, changes: Mapping[str, int], now: float) -> None:
        """Add to the day's and the total counters inside the caller's transaction; zeros are written too."""
        db.executemany(
            "INSERT INTO counters (day, name, n) VALUES (?, ?, ?)"
            " ON CONFLICT (day, name) DO UPDATE SET n = n + excluded.n",
            [(key, name, n) for name, n in changes.items() for key in counter_days(now)],
        )

    def put(self, record: SecretRecord, *, tally: Tally | None = None) -> None:
        values = tuple(getattr(record, field) for field in _FIELDS)

        def insert(db: sqlite3.Connection) -> None:
            db.execute(f"INSERT INTO secrets ({_COLUMNS}) VALUES ({', '.join('?' * len(_FIELDS))})", values)
            if tally is not None:
                self._count(db, tally.counts(), tally.now)

        try:
            self._write(insert)
        except sqlite3.IntegrityError:
            raise RecordExists(record.secret_id) from None

    def get(self, secret_id: str, *, now: float) -> SecretRecord | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM secrets WHERE {_LIVE}", (secret_id, now))
        return SecretRecord(*rows[0]) if rows else None

    def reserve_attempt(
        self, secret_id: str, *, now: float, limit: int, tally: Tally | None = None
    ) -> SecretRecord | None:
        # One transaction whatever is found: the counters' rows are written
        # (by zero on a miss), so every reservation commits alike. It need not
        # outlive a power cut (an attempt left uncounted then is harmless), so
        # it costs no fsync, hit or miss.
        def reserve(db: sqlite3.Connection) -> tuple | None:
            row = db.execute(
                "UPDATE secrets SET failed_attempts = failed_attempts + 1"
                f" WHERE {_LIVE} AND failed_attempts < ? RETURNING {_COLUMNS}",
                (secret_id, now, limit),
            ).fetchone()
            if tally is not None:
                self._count(db, tally.counts() if row else tally.unchanged(), tally.now)
            return row

        row = self._write(reserve, durable=False)
        return SecretRecord(*row) if row else None

    def claim_view(self, secret_id: str, *, now: float, tally: Tally | None = None) -> int | None:
        def claim(db: sqlite3.Connection) -> int | None:
            row = db.execute(
                "UPDATE secrets SET views_left = views_left - 1, failed_attempts = failed_attempts - 1,"
                " views_taken = views_taken + 1, last_viewed_at = ?"
                f" WHERE {_LIVE} AND failed_attempts >= 1 RETURNING views_left",
                (int(now), secret_id, now),
            ).fetchone()
            if row is None:
                return None
            last = row[0] == 0
            if last:
                db.execute(f"UPDATE secrets SET {_BURY} WHERE secret_id = ?", (USED_UP, secret_id))
            if tally is not None:
                self._count(db, tally.counts(last=last), tally.now)
            return row[0]

        return self._write(claim)

    def release_attempt(self, secret_id: str, *, tally: Tally | None = None) -> None:
        def release(db: sqlite3.Connection) -> None:
            released = db.execute(
                "UPDATE secrets SET failed_attempts = failed_attempts - 1"
                " WHERE secret_id = ? AND failed_attempts >= 1",
                (secret_id,),
            ).rowcount
            if released and tally is not None:
                self._count(db, tally.counts(), tally.now)

        self._write(release)

    def _end_where(
        self, condition: str, params: tuple, ended: str, tally: Tally | None
    ) -> SecretRecord | None:
        """Turn the record matching ``condition`` into a tombstone; return it as it was."""

        def end(db: sqlite3.Connection) -> tuple | None:
            row = db.execute(f"SELECT {_COLUMNS} FROM secrets WHERE {condition}", params).fetchone()
            if row is not None:
                db.execute(f"UPDATE secrets SET {_BURY} WHERE secret_id = ?", (ended, row[0]))
                if tally is not None:
                    self._count(db, tally.counts(), tally.now)
            return row

        row = self._write(end)
        return SecretRecord(*row) if row else None

    def destroy(self, secret_id: str, *, limit: int, tally: Tally | None = None) -> SecretRecord | None:
        condition = "secret_id = ? AND failed_attempts >= ? AND ended = ''"
        return self._end_where(condition, (secret_id, limit), DESTROYED, tally)

    def delete(self, secret_id: str, *, now: float, tally: Tally | None = None) -> bool:
        return self._end_where(_LIVE, (secret_id, now), BURNED, tally) is not None

    def find_receipt(self, receipt_hash: str, *, now: float) -> SecretRecord | None:
        if not receipt_hash:
            return None
        rows = self._query(
            f"SELECT {_COLUMNS} FROM secrets WHERE receipt_hash = ? AND expires_at > ?", (receipt_hash, now)
        )
        return SecretRecord(*rows[0]) if rows else None

    def sweep_expired(self, *, now: float, tally: Tally | None = None) -> list[SecretRecord]:
        def sweep(db: sqlite3.Connection) -> list[SecretRecord]:
            rows = db.execute(f"DELETE FROM secrets WHERE expires_at <= ? RETURNING {_COLUMNS}", (now,))
            swept = [SecretRecord(*row) for row in rows.fetchall()]
            self._count(db, self.swept_counts(swept, tally), now)
            return swept

        return self._write(sweep)

    def add_counts(self, changes: Mapping[str, int], *, now: float) -> None:
        checked = Tally(now, changes)  # a bad name is the caller's error, not the storage's
        self._write(lambda db: self._count(db, checked.changes, now))

    def read_counts(self, *, now: float, days: int = 30) -> Usage:
        first = counter_span(now, days)[0].isoformat()
        rows = self._query("SELECT day, name, n FROM counters WHERE day >= ? OR day = ?", (first, TOTAL))
        stored: dict[str, dict[str, int]] = {}
        for day, name, n in rows:
            stored.setdefault(day, {})[name] = n
        return usage_from_counters(stored, now=now, days=days)

    def check(self) -> None:
        self._query("SELECT count(*) FROM counters WHERE day = ?", (TOTAL,))

    def close(self) -> None:
        self._connections.close()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _FileBlobWriter(BlobWriter):
    def __init__(self, partial: Path, final: Path):
        self._partial, self._final = partial, final
        try:
            # 0600 and exclusive: ids are random, so an existing file means a bug or an attack.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._file = os.fdopen(fd, "wb")
        except OSError as e:
            raise StorageUnavailable() from e

    def write(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as e:
            self.abort()
            raise StorageUnavailable() from e

    def commit(self) -> int:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            size = self._file.tell()
            self._file.close()
            # A link, unlike a rename, never replaces a committed blob.
            os.link(self._partial, self._final)
            self._partial.unlink()
            # The name is on disk too before any record refers to it: a power
            # cut must not leave a record whose body was never there.
            fsync_dir(self._final.parent)
            return size
        except FileExistsError:
            self.abort()
            raise BlobExists(self._final.name) from None
        except OSError as e:
            self.abort()
            raise StorageUnavailable() from e

    def abort(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._partial.unlink()


class FileBlobStore(BlobStore):
    """
    One file per blob, ``<root>/<id>``; while being written, ``<root>/<id>.partial``,
    linked into place on commit so a reader never sees half a blob.
    """

    PARTIAL = ".partial"

    def __init__(self, *, root: str):
        super().__init__()
        self.root = Path(root)

    def _path(self, blob_id: str) -> Path:
        if not blob_id.isalnum():
            raise ValueError("blob ids are alphanumeric")
        return self.root / blob_id

    def setup(self) -> None:
        try:
            private_dir(self.root)
        except OSError as e:
            raise StorageUnavailable() from e

    def open_write(self, blob_id: str) -> BlobWriter:
        final = self._path(blob_id)
        self.setup()
        return _FileBlobWriter(final.with_name(blob_id + self.PARTIAL), final)

    def open_read(self, blob_id: str) -> BinaryIO:
        try:
            return open(self._path(blob_id), "rb")
        except FileNotFoundError:
            raise BlobNotFound(blob_id) from None
        except OSError as e:
            raise StorageUnavailable() from e

    def delete(self, blob_id: str) -> None:
        final = self._path(blob_id)
        for path in (final, final.with_name(blob_id + self.PARTIAL)):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as e:
                raise StorageUnavailable() from e

    def check(self) -> None:
        # The folder is made on first use, so making it here is no change; it must
        # then be writable, not merely present.
        self.setup()
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailable()

    def list_ids(self, *, older_than: float) -> Iterator[str]:
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return
        except OSError as e:
            raise StorageUnavailable() from e
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file() and entry.stat().st_mtime < older_than:
                    yield entry.name.removesuffix(self.PARTIAL)
