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
import datetime
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from sharing.errors import StorageUnavailable
from sharing.privatefiles import private_dir, private_file
from sharing.sqlite import ConnectionPerThread
from sharing.stores.base import (
    BlobNotFound,
    BlobStore,
    BlobWriter,
    RecordExists,
    RecordStore,
    SecretRecord,
    Tally,
    Usage,
    build_usage,
    checked_counts,
    utc_day,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (
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
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS secrets_expires_at ON secrets (expires_at);
CREATE TABLE IF NOT EXISTS counters (
    day  TEXT NOT NULL,  -- 'YYYY-MM-DD' (UTC), or TOTAL
    name TEXT NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (day, name)
) WITHOUT ROWID;
"""
TOTAL = "total"
_FIELDS = [field for field in SecretRecord.__dataclass_fields__]
_COLUMNS = ", ".join(_FIELDS)


class SQLiteRecordStore(RecordStore):
    def __init__(self, *, path: str, timeout: float = 10.0):
        super().__init__()
        self.path = Path(path)
        self.timeout = timeout
        self._connections = ConnectionPerThread(self._open)

    def _open(self) -> sqlite3.Connection:
        # SQLite gives its -wal and -shm files the database file's mode.
        private_dir(self.path.parent)
        private_file(self.path)
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=True)
        # FULL: a view, once claimed, must stay claimed after a power cut.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            db = self._connections.get()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as e:
            raise StorageUnavailable() from e

    def _query(self, sql: str, params: tuple) -> list[tuple]:
        try:
            return self._connections.get().execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise StorageUnavailable() from e

    def setup(self) -> None:
        self._query("SELECT 1", ())

    @staticmethod
    def _count(db: sqlite3.Connection, changes: Mapping[str, int], now: float) -> None:
        """Add to the day's and the total counters inside the caller's transaction."""
        day = utc_day(now).isoformat()
        rows = [(key, name, n) for name, n in checked_counts(changes).items() for key in (day, TOTAL)]
        db.executemany(
            "INSERT INTO counters (day, name, n) VALUES (?, ?, ?)"
            " ON CONFLICT (day, name) DO UPDATE SET n = n + excluded.n",
            rows,
        )

    def put(self, record: SecretRecord, *, tally: Tally | None = None) -> None:
        values = tuple(getattr(record, field) for field in _FIELDS)
        try:
            with self._transaction() as db:
                db.execute(
                    f"INSERT INTO secrets ({_COLUMNS}) VALUES ({', '.join('?' * len(_FIELDS))})", values
                )
                if tally is not None:
                    self._count(db, tally.changes, tally.now)
        except sqlite3.IntegrityError:
            raise RecordExists(record.secret_id) from None

    def get(self, secret_id: str, *, now: float) -> SecretRecord | None:
        rows = self._query(
            f"SELECT {_COLUMNS} FROM secrets WHERE secret_id = ? AND views_left >= 1 AND expires_at > ?",
            (secret_id, now),
        )
        return SecretRecord(*rows[0]) if rows else None

    def _step(self, secret_id: str, change: str, *, now: float, gone, tally: Tally | None) -> int | None:
        """
        One atomic step on a live record: apply ``change`` (a SET clause whose
        column comes back), delete the record if ``gone(new value)``, and count.
        Return the new value, or ``None`` when there was no live record.
        """
        with self._transaction() as db:
            row = db.execute(
                f"UPDATE secrets SET {change}"
                " WHERE secret_id = ? AND views_left >= 1 AND expires_at > ?"
                f" RETURNING {change.split('=', 1)[0].strip()}",
                (secret_id, now),
            ).fetchone()
            if row is None:
                return None
            last = gone(row[0])
            if last:
                db.execute("DELETE FROM secrets WHERE secret_id = ?", (secret_id,))
            if tally is not None:
                self._count(db, tally.changes, tally.now)
                if last:
                    self._count(db, tally.if_last, tally.now)
            return row[0]

    def claim_view(self, secret_id: str, *, now: float, tally: Tally | None = None) -> int | None:
        return self._step(
            secret_id, "views_left = views_left - 1", now=now, gone=lambda left: left == 0, tally=tally
        )

    def add_failure(self, secret_id: str, *, now: float, limit: int, tally: Tally | None = None) -> bool:
        failed = self._step(
            secret_id,
            "failed_attempts = failed_attempts + 1",
            now=now,
            gone=lambda failed: failed >= limit,
            tally=tally,
        )
        return failed is not None and failed >= limit

    def delete(self, secret_id: str, *, tally: Tally | None = None) -> bool:
        with self._transaction() as db:
            deleted = db.execute("DELETE FROM secrets WHERE secret_id = ?", (secret_id,)).rowcount == 1
            if deleted and tally is not None:
                self._count(db, tally.changes, tally.now)
            return deleted

    def sweep_expired(
        self, *, now: float, tally: Callable[[SecretRecord], Mapping[str, int]] | None = None
    ) -> list[SecretRecord]:
        with self._transaction() as db:
            rows = db.execute(f"DELETE FROM secrets WHERE expires_at <= ? RETURNING {_COLUMNS}", (now,))
            swept = [SecretRecord(*row) for row in rows.fetchall()]
            if tally is not None:
                total: dict[str, int] = {}
                for record in swept:
                    for name, n in tally(record).items():
                        total[name] = total.get(name, 0) + n
                self._count(db, total, now)
            return swept

    def add_counts(self, changes: Mapping[str, int], *, now: float) -> None:
        checked_counts(changes)  # a bad name is the caller's error, not the storage's
        with self._transaction() as db:
            self._count(db, changes, now)

    def read_counts(self, *, now: float, days: int = 30) -> Usage:
        usage = build_usage({}, {}, now=now, days=days)
        first = usage.days[0][0].isoformat()
        rows = self._query("SELECT day, name, n FROM counters WHERE day >= ? OR day = ?", (first, TOTAL))
        totals = {name: n for day, name, n in rows if day == TOTAL}
        by_day: dict = {}
        for day, name, n in rows:
            if day != TOTAL:
                by_day.setdefault(datetime.date.fromisoformat(day), {})[name] = n
        return build_usage(totals, by_day, now=now, days=days)

    def check(self) -> None:
        try:
            self._query("SELECT count(*) FROM counters WHERE day = ?", (TOTAL,))
        except OSError as e:  # the folder itself is unusable
            raise StorageUnavailable() from e

    def close(self) -> None:
        self._connections.close()


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
            os.replace(self._partial, self._final)
            return size
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
    renamed into place on commit so a reader never sees half a blob.
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
