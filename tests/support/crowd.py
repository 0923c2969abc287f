"""
Concurrency proven with processes: a crowd of them, each first getting ready
(``prepare``: connect, import) and then released together by one barrier, so
their work truly overlaps.

    statuses = all_at_once(post, (url, body), 20)
    claims = all_at_once(claim, (spec, secret_id, now), 8, prepare=build_store, method="spawn")
"""

import multiprocessing


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
