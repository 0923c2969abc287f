"""
The floor every create and reveal stands on: bare scrypt, with the service's
own ``derive_key``, in a pool of one process per core. A request that derives
one key can at best reach this rate, so the service's rates are quoted as a
fraction of it, measured in the same run.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time

from sharing.domain.crypto import derive_key

PASSPHRASE = "a benchmark passphrase of 32 ch"


def _derive_for(args: tuple[int, float]) -> float:
    """Derive keys until ``deadline``; return this process's rate (keys/s)."""
    n, seconds = args
    start = time.perf_counter()
    deadline, count, last = start + seconds, 0, start
    while last < deadline:
        derive_key(PASSPHRASE, os.urandom(16), n)
        count, last = count + 1, time.perf_counter()
    # Counting to the last finished key, not the deadline, keeps a half-done key from biasing the rate.
    return count / (last - start)


def pool_rate(n: int, *, processes: int, seconds: float) -> float:
    """Keys per second from ``processes`` processes deriving side by side."""
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return sum(pool.map(_derive_for, [(n, seconds)] * processes))


def one_derivation_ms(n: int, *, repeat: int = 5) -> float:
    """Median time of one derivation with the machine otherwise idle (of our load)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        derive_key(PASSPHRASE, os.urandom(16), n)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000
