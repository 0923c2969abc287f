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
from typing import TypeVar

T = TypeVar("T")


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

    ``run`` is how the stores write: a transaction in this queue's turn,
    committed together with the writes other threads queued meanwhile.
    """

    # A transaction holds the lock for a fraction of a millisecond (a durable
    # one for about one fsync), so a waiter that slept up to 2 ms between tries
    # mostly slept past its turn: waits averaged 0.6-0.9 ms under load, against
    # 0.2-0.4 ms at 0.2 ms. A try costs a few microseconds.
    POLL_FIRST, POLL_MOST = 0.0001, 0.0002

    def __init__(
        self,
        lock_path: str | os.PathLike,
        timeout: float,
        connect: Callable[[], sqlite3.Connection] | None = None,
    ):
        self.lock_path = os.fspath(lock_path)
        self.timeout = timeout
        self._connect = connect  # this thread's connection to the database, for run()
        self._fd, self._pid = -1, 0
        self._fresh_lock()
        # A child forked while a thread here held the lock would inherit it held.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (queue := ref()) and queue._fresh_lock())

    def _fresh_lock(self) -> None:
        self._threads = threading.Lock()
        self._pending, self._pending_lock = [], threading.Lock()  # a parent's queue is not the child's

    def _process_fd(self) -> int:
        # Called holding self._threads. Per process: a descriptor shared with a
        # parent or child would let both hold the flock at once.
        if self._pid != os.getpid():
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        fd = self._take_turn()
        try:
            yield
        finally:
            self._end_turn(fd)

    def _take_turn(self) -> int:
        """Wait for this writer's turn (``TimeoutError`` past ``timeout``); the lock file's descriptor."""
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(timeout=self.timeout):
            raise TimeoutError("another writer held the database too long")
        try:
            fd = self._process_fd()
            pause = self.POLL_FIRST
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise TimeoutError("another process held the database too long") from None
                    time.sleep(pause)
                    pause = min(pause * 2, self.POLL_MOST)
        except BaseException:
            self._threads.release()
            raise

    def _end_turn(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def run(self, work: Callable[[sqlite3.Connection], T], *, durable: bool) -> T:
        """
        ``work(db)`` inside a ``BEGIN IMMEDIATE`` transaction, in this
        writer's turn; returns what it returns, or raises what it raises.

        Group commit: the writer whose turn comes runs every piece of work
        its process's threads have queued meanwhile, each inside a savepoint,
        and commits them together. One commit (one fsync when any piece is
        ``durable``) then serves them all, where each used to pay for its
        own and wait for the others' in turn. A piece that raises is rolled
        back to its savepoint alone; a commit that fails fails every piece
        in it, and none of them is written.
        """
        self._connect()  # this thread's, opened before the turn: it makes the folder and the schema
        job = _Work(work, durable)
        with self._pending_lock:
            self._pending.append(job)
        try:
            fd = self._take_turn()
        except TimeoutError:
            with self._pending_lock:
                if job in self._pending:  # never begun: withdrawn, unwritten
                    self._pending.remove(job)
                    raise
            # Begun by the writer whose turn it is: its outcome is coming.
            job.wait()
        else:
            try:
                if not job.finished():
                    self._run_pending(job)
            finally:
                self._end_turn(fd)
        if job.error is not None:
            raise job.error
        return job.result

    def _run_pending(self, mine: _Work) -> None:
        # Called in this writer's turn, by the writer of ``mine``.
        with self._pending_lock:
            batch, self._pending = self._pending, []
        # Never raises: each piece's outcome, failure included, goes back to its writer.
        try:
            db = self._connect()
            db.execute(f"PRAGMA synchronous={'FULL' if any(j.durable for j in batch) else 'NORMAL'}")
            db.execute("BEGIN IMMEDIATE")
            try:
                if len(batch) == 1:  # alone, as most writes are: no savepoint needed
                    try:
                        mine.result = mine.work(db)
                    except Exception as e:
                        mine.error = e
                    db.execute("COMMIT" if mine.error is None else "ROLLBACK")
                else:
                    for job in batch:
                        db.execute("SAVEPOINT work")
                        try:
                            job.result = job.work(db)
                        except Exception as e:
                            db.execute("ROLLBACK TO work")
                            job.error = e
                        db.execute("RELEASE work")
                    db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
        except BaseException as e:  # every piece fails: this writer's with e, the others' with their own
            for job in batch:
                job.result = None
                if job is mine:
                    job.error = e
                else:  # raised in another thread: an exception of its own, so tracebacks never mix
                    job.error = sqlite3.OperationalError("the transaction this write was part of failed")
                    job.error.__cause__ = e
        finally:
            for job in batch:
                job.finish()


class _Work:
    """A piece of work queued for a write transaction, and its outcome once ``finished``."""

    __slots__ = ("_unfinished", "durable", "error", "result", "work")

    def __init__(self, work: Callable[[sqlite3.Connection], object], durable: bool):
        self.work, self.durable = work, durable
        self.result, self.error = None, None
        # Held until the work is done: a bare lock, as an Event (a condition
        # and two locks) cost more than the rest of the queue's own work.
        self._unfinished = threading.Lock()
        self._unfinished.acquire()

    def finish(self) -> None:
        self._unfinished.release()

    def finished(self) -> bool:
        return not self._unfinished.locked()

    def wait(self) -> None:
        """Return once the work is done (the outcome is then set)."""
        with self._unfinished:
            pass
