"""
Sliding windows of hits, counted atomically: the memory behind the per-client
throttles (``sharing.api.throttles``).

A window answers one question in one atomic step: may this key have one more
hit now, given at most ``limit`` hits in the last ``window`` seconds? If yes,
the hit is recorded; if no, nothing is, and the answer says how long until the
oldest hit leaves the window. Reading and writing in one step matters: a
history read, appended to and written back lets every request of a parallel
burst see the same history and pass.

Two backends, one contract (tests/test_ratelimit.py runs both):

- ``RedisHitWindow`` (REDIS_URL): one Lua script per hit, so every machine of
  a fleet counts against the same window, timed by the Redis server's clock.
- ``SQLiteHitWindow`` (default): a file in DATA_DIR shared by every worker of
  one machine, each hit one transaction in the file's one writer's turn
  (``sharing.sqlite.WriteQueue``), nearly always a single statement. Nothing
  is culled to make room: a hit's row goes only after it has left its window
  (deleted when its key reaches the limit, or by the pruning one hit in
  ``PRUNE_ONE_IN`` does); until then it counts for nothing.

The throttles call these with keys that name a client (a peer address or
network), never anything derived from a secret.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import random
import secrets
import sqlite3
import time
from pathlib import Path

from sharing.errors import StorageUnavailable, gettext_noop
from sharing.metrics import instrument_store
from sharing.privatefiles import FILE_MODE, private_dir, private_file
from sharing.sqlite import ConnectionPerThread, WriteQueue


class HitWindow:
    """The contract: ``hit`` is atomic across every process (and machine) sharing the backend."""

    def hit(self, key: str, *, limit: int, window: float) -> float | None:
        """
        Record one hit for ``key`` unless ``limit`` hits already fall within the
        last ``window`` seconds. Returns ``None`` when the hit was allowed (and
        recorded), else the seconds until one more would be. Raises
        ``StorageUnavailable`` when the backend cannot answer.
        """
        raise NotImplementedError(".hit() must be overridden")

    def close(self) -> None:
        """Release connections; the window may be used again afterwards."""


# KEYS[1]: the key; ARGV: window (s), limit, a unique member for this hit.
# The server's own clock times every hit, so machines whose clocks differ
# still share one window.
_REDIS_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
    return false
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


class RedisHitWindow(HitWindow):
    """Windows as sorted sets of hit times in Redis, expiring with their window."""

    prefix = "pysecrets:hits:"

    def __init__(self, url: str, *, timeout: float = 2.0):
        import redis  # only deployments with REDIS_URL need the client

        self._errors = (redis.RedisError, OSError)
        # The pool notices a fork and reconnects in the child, so a client made
        # before gunicorn forks its workers is never shared by two processes.
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
        )
        self._script = self._client.register_script(_REDIS_HIT)

    def hit(self, key: str, *, limit: int, window: float) -> float | None:
        try:
            wait = self._script(keys=[self.prefix + key], args=[window, limit, secrets.token_hex(8)])
        except self._errors as e:
            raise StorageUnavailable(
                gettext_noop("The rate limiter is unavailable; please try again shortly.")
            ) from e
        return None if wait is None else max(0.0, float(wait))

    def close(self) -> None:
        self._client.close()


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, at REAL NOT NULL, until REAL NOT NULL);
CREATE INDEX IF NOT EXISTS hits_key_at ON hits (key, at);
CREATE INDEX IF NOT EXISTS hits_until ON hits (until);
"""
# How many rows each key has in ``hits``, kept by triggers on every insert and
# delete (pruning included), so a hit reads its key's count in one lookup
# instead of counting the rows of its window, which took longer the more hits
# a window held. Made once per file, from the rows already there, in the
# transaction that adds the triggers.
_SQLITE_COUNTS = """
BEGIN IMMEDIATE;
CREATE TABLE counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counts (key, n) SELECT key, count(*) FROM hits GROUP BY key;
CREATE TRIGGER hits_counted AFTER INSERT ON hits BEGIN
    INSERT INTO counts (key, n) VALUES (NEW.key, 1) ON CONFLICT (key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER hits_uncounted AFTER DELETE ON hits BEGIN
    UPDATE counts SET n = n - 1 WHERE key = OLD.key;
END;
COMMIT;
"""
# Parameters: key, at, until, key, limit. Records the hit if the key has fewer rows than the limit.
_HIT_IF_ROOM = """
INSERT INTO hits (key, at, until)
SELECT ?, ?, ? WHERE coalesce((SELECT n FROM counts WHERE key = ?), 0) < ?
"""


class SQLiteHitWindow(HitWindow):
    """Windows as rows of (key, time, until) in one SQLite file, for the workers of one machine."""

    PRUNE_ONE_IN = 256  # hits that also delete every key's rows past their window

    def __init__(self, path: str | os.PathLike, *, timeout: float = 10.0):
        self.path = Path(path)
        self.timeout = timeout
        self._connections = ConnectionPerThread(self._open)
        self._writers = WriteQueue(self.path.with_name(self.path.name + ".writers"), timeout)

    def _open(self) -> sqlite3.Connection:
        private_dir(self.path.parent)
        # Setting up happens under a lock beside the file: switching to WAL can
        # fail at once with "database is locked", without waiting, when workers
        # start together. (Not a lock on the database itself: closing any other
        # descriptor of it would drop SQLite's own locks.)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            private_file(self.path)  # client addresses: the service's user's only
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            # A hit lost to a power cut only lets one more request through:
            # every write here is at NORMAL (no fsync but at checkpoints).
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SQLITE_SCHEMA)
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'counts'").fetchone() is None:
                db.executescript(_SQLITE_COUNTS)
        finally:
            os.close(fd)  # releases the lock
        return db

    def hit(self, key: str, *, limit: int, window: float) -> float | None:
        now = time.time()
        try:
            db = self._connections.get()  # opened before the turn: it makes the folder and the schema
            with self._writers():  # the file's one writer, across threads and processes
                # ``counts`` holds every row the key has, some perhaps past
                # the window: fewer than the limit, the window has room, and
                # the hit is recorded by one statement, its own transaction.
                if db.execute(_HIT_IF_ROOM, (key, now, now + window, key, limit)).rowcount:
                    if random.randrange(self.PRUNE_ONE_IN) == 0:
                        db.execute("DELETE FROM hits WHERE until <= ?", (now,))
                        db.execute("DELETE FROM counts WHERE n <= 0")
                    return None
                return self._hit_at_limit(db, key, limit, window, now)
        except (sqlite3.Error, OSError) as e:  # OSError: the folder is unusable, or a writer timed out
            raise StorageUnavailable(
                gettext_noop("The rate limiter is unavailable; please try again shortly.")
            ) from e

    @staticmethod
    def _hit_at_limit(
        db: sqlite3.Connection, key: str, limit: int, window: float, now: float
    ) -> float | None:
        # A key with as many rows as its limit: its rows past the window go,
        # and what is left, the window itself, is counted again.
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM hits WHERE key = ? AND at <= ?", (key, now - window))
            (left,) = db.execute("SELECT n FROM counts WHERE key = ?", (key,)).fetchone()
            if left >= limit:
                (oldest,) = db.execute("SELECT min(at) FROM hits WHERE key = ?", (key,)).fetchone()
                wait = max(0.0, oldest + window - now)
            else:
                db.execute("INSERT INTO hits (key, at, until) VALUES (?, ?, ?)", (key, now, now + window))
                wait = None
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        return wait

    def close(self) -> None:
        self._connections.close()


@functools.cache
def hit_window(redis_url: str, data_dir: str | os.PathLike) -> HitWindow:
    """
    The window for this configuration (Redis, else a file in ``data_dir``),
    built once per process, timed like the stores (/metrics).
    """
    window = RedisHitWindow(redis_url) if redis_url else SQLiteHitWindow(Path(data_dir) / "throttles.sqlite3")
    return instrument_store(window, HitWindow)
