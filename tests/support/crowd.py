"""
Concurrency proven with processes: a crowd of them, each first getting ready
(``prepare``: connect, import) and then released together by one barrier, so
their work truly overlaps.

    statuses = all_at_once(post, (url, body), 20)
    claims = all_at_once(claim, (spec, secret_id, now), 8, prepare=build_store, method="spawn")
"""

import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor


def _run(prepare, work, args, gate, results):
    ready = prepare(*args) if prepare else args
    gate.wait()
    results.put(work(*ready))


def all_at_once(
    work, args: tuple, n: int, *, prepare=None, method: str = "fork", timeout: float = 120
) -> list:
    """
    Run ``work(*prepare(*args))`` (or ``work(*args)``) in ``n`` processes at
    once and return their results in the order they finished. ``fork`` starts
    in milliseconds; ``spawn`` gives each process a fresh interpreter, as a
    separate worker or machine would have (both functions must then be
    importable).
    """
    ctx = multiprocessing.get_context(method)
    gate, results = ctx.Barrier(n + 1), ctx.Queue()
    crowd = [ctx.Process(target=_run, args=(prepare, work, args, gate, results)) for _ in range(n)]
    for process in crowd:
        process.start()
    gate.wait(timeout=timeout)
    outcomes = [results.get(timeout=timeout) for _ in crowd]
    for process in crowd:
        process.join(timeout=30)
    return outcomes


# -- spans: when each of a crowd held a lock, and how many held it at once ------------


def hold(lock, seconds: float) -> tuple[float, float]:
    """Hold ``lock()`` (a context manager factory) for ``seconds``; return when, on the monotonic clock."""
    with lock():
        began = time.monotonic()
        time.sleep(seconds)
        return began, time.monotonic()


def hold_in_threads(lock, threads: int, seconds: float) -> list[tuple[float, float]]:
    """``hold`` in ``threads`` threads of this process at once."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda _: hold(lock, seconds), range(threads)))


def most_at_once(spans) -> int:
    """The most spans that overlapped. Monotonic time is one clock for every process of a machine."""
    events = sorted([(b, 1) for b, _ in spans] + [(e, -1) for _, e in spans])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak
