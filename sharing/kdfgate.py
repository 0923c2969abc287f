"""
A cap on simultaneous key stretching per machine, across worker processes and
the threads inside each.

A scrypt derivation holds a core and 128*r*N bytes (128 MiB at N=2^17) for
its whole run. Past one derivation per core, more only queue for the CPU while
holding their memory, so beyond that they wait here instead.

Two locks guard each slot, because neither alone excludes everyone:

- across processes, a lock file under DATA_DIR taken with ``flock``; the kernel
  releases it when a process dies, so a crashed worker never keeps a slot;
- across threads of one process, a ``threading.Lock``: ``flock`` locks belong
  to an open file description, which all threads of a process share, so a
  second thread would be granted the lock its neighbour already holds.

In front of both, a semaphore of ``slots`` permits per process: at most that
many threads of a process look for a free slot at a time, and the rest sleep
in the semaphore instead of polling.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

from sharing.privatefiles import private_dir

# While every slot is taken by other processes, look again this often: short
# beside a derivation (100 ms and more), so a slot freed anywhere is soon used.
POLL_FIRST, POLL_MOST = 0.001, 0.01


class DerivationGate:
    def __init__(self, directory: str | os.PathLike, slots: int):
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.directory = Path(directory)
        self.slots = slots
        self._fds: list[int] = []
        self._pid = 0
        self._fresh_locks()
        # A child forked while another thread held one of these locks would
        # inherit it held forever: it starts with its own.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (gate := ref()) and gate._fresh_locks())

    def _fresh_locks(self) -> None:
        self._opening = threading.Lock()
        self._permits = threading.BoundedSemaphore(self.slots)
        self._thread_locks = [threading.Lock() for _ in range(self.slots)]

    def _slot_fds(self) -> list[int]:
        # Descriptors are per process: after a fork the child opens its own, or
        # parent and child would share one lock and never exclude each other.
        with self._opening:
            if self._pid != os.getpid():
                private_dir(self.directory)
                flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                self._fds = [os.open(self.directory / f"slot-{i}", flags, 0o600) for i in range(self.slots)]
                self._pid = os.getpid()
            return self._fds

    def _try_slot(self, fds: list[int]) -> int | None:
        """Take a slot no thread here and no other process holds, or return None."""
        for i in random.sample(range(self.slots), self.slots):
            if not self._thread_locks[i].acquire(blocking=False):
                continue
            try:
                fcntl.flock(fds[i], fcntl.LOCK_EX | fcntl.LOCK_NB)
                return i
            except BlockingIOError:
                self._thread_locks[i].release()
        return None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        fds = self._slot_fds()
        permits = self._permits
        permits.acquire()
        try:
            pause = POLL_FIRST
            while (held := self._try_slot(fds)) is None:
                time.sleep(pause)  # every slot busy elsewhere: look again shortly
                pause = min(pause * 2, POLL_MOST)
            try:
                yield
            finally:
                fcntl.flock(fds[held], fcntl.LOCK_UN)
                self._thread_locks[held].release()
        finally:
            permits.release()
