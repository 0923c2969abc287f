"""
SQLite connections for the files every worker of one machine shares (the
local record store, the throttle windows). Imports no Django.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator


class ConnectionPerThread:
    """
    One connection per thread and per process, opened by ``open_connection``
    on first use. A connection may not cross threads, and one inherited
    across fork() must never be used by the child: it would share the
    parent's locks.
    """

    def __init__(self, open_connection: Callable[[], sqlite3.Connection]):
        self._open = open_connection
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():
            db = self._open()
            self._local.db, self._local.pid = db, os.getpid()
        return db

    def close(self) -> None:
        """Close this thread's connection, if this process opened it; the next ``get`` opens another."""
        db = getattr(self._local, "db", None)
        if db is not None and self._local.pid == os.getpid():
            db.close()
        self._local = threading.local()


class WriteQueue:
    """
    Lines up the writers of one SQLite file across the threads and processes
    of a machine. SQLite's own wait for a busy database sleeps 1, 2, 5, 10 ms
    and more between tries, so two requests that write at nearly the same
    moment cost the second several milliseconds of idle sleep. Here a writer
    waits for the threads of its process on a ``threading.Lock``, woken the
    moment the lock is free, and for other processes on an ``flock`` on a
    file beside the database, tried every 0.1 to 0.2 ms. (``flock``
    alone does not exclude threads: they share the descriptor. And the lock
    file is not the database: closing a descriptor of the database would drop
    SQLite's own locks.)

    Waiting is bounded: past ``timeout`` seconds it raises ``TimeoutError``,
    which the stores report as unavailable, as SQLite's own timeout would be.
    """

    # A transaction holds the lock for a fraction of a millisecond (a durable
    # one for about one fsync), so a waiter that slept up to 2 ms between tries
    # mostly slept past its turn: waits averaged 0.6-0.9 ms under load, against
    # 0.2-0.4 ms at 0.2 ms. A try costs a few microseconds.
    POLL_FIRST, POLL_MOST = 0.0001, 0.0002

    def __init__(self, lock_path: str | os.PathLike, timeout: float):
        self.lock_path = os.fspath(lock_path)
        self.timeout = timeout
        self._fd, self._pid = -1, 0
        self._fresh_lock()
        # A child forked while a thread here held the lock would inherit it held.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (queue := ref()) and queue._fresh_lock())

    def _fresh_lock(self) -> None:
        self._threads = threading.Lock()

    def _process_fd(self) -> int:
        # Called holding self._threads. Per process: a descriptor shared with a
        # parent or child would let both hold the flock at once.
        if self._pid != os.getpid():
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(timeout=self.timeout):
            raise TimeoutError("another writer held the database too long")
        try:
            fd = self._process_fd()
            pause = self.POLL_FIRST
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise TimeoutError("another process held the database too long") from None
                    time.sleep(pause)
                    pause = min(pause * 2, self.POLL_MOST)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    @contextlib.contextmanager
    def transaction(self, db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction on ``db`` in this writer's turn; rolled back on any error."""
        with self():
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
