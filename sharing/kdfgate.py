"""
A cap on simultaneous key derivations per machine, across worker processes.

Each scrypt derivation holds a core for ~100 ms and 128*r*N bytes (32 MiB at
N=2^15). Past one derivation per core, more only queue for the CPU while
holding their memory, so beyond that they wait here instead. The slots are
lock files under DATA_DIR: ``flock`` is released by the kernel when a process
dies, so a crashed worker never keeps a slot.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
from collections.abc import Iterator
from pathlib import Path

from sharing.privatefiles import private_dir


class DerivationGate:
    def __init__(self, directory: str | os.PathLike, slots: int):
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.directory = Path(directory)
        self.slots = slots
        self._fds: list[int] = []
        self._pid = 0

    def _slot_fds(self) -> list[int]:
        # Descriptors are per process: after a fork the child opens its own, or
        # parent and child would share one lock and never exclude each other.
        if self._pid != os.getpid():
            private_dir(self.directory)
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            self._fds = [os.open(self.directory / f"slot-{i}", flags, 0o600) for i in range(self.slots)]
            self._pid = os.getpid()
        return self._fds

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        fds = self._slot_fds()
        order = random.sample(fds, len(fds))
        held = None
        for fd in order:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = fd
                break
            except BlockingIOError:
                continue
        if held is None:
            held = order[0]
            fcntl.flock(held, fcntl.LOCK_EX)  # every slot busy: queue on one
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
