"""
What the service tells Prometheus: aggregates only.

Every label comes from a short, fixed set the code names (a URL pattern, an
HTTP method, a status, a store class and one of its calls), never from what a
client sends or stores: no secret id, no size of one secret, no content. A
histogram of durations is the only per-request figure, and it is bucketed.

Under gunicorn every worker writes its numbers to files in DATA_DIR/metrics
(prometheus_client's multiprocess mode, set up by secrets_site/gunicorn_instance.py
before the workers start), and /metrics sums them, so any worker answering a
scrape reports the whole machine. Elsewhere (tests, manage.py) numbers stay in
the process.
"""

from __future__ import annotations

import functools
import os
import time

from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # set by secrets_site/gunicorn_instance.py
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "pysecrets_http_requests",
    "HTTP requests answered, by URL pattern (never a path), method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "pysecrets_http_request_duration_seconds",
    "Time from a request's arrival to its response's first byte, by URL pattern and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
# Gauges of processes that are alive, summed: a worker that dies stops counting.
DERIVATIONS_RUNNING = Gauge(
    "pysecrets_derivations_running",
    "Key derivations running now on this machine.",
    multiprocess_mode="livesum",
)
DERIVATIONS_WAITING = Gauge(
    "pysecrets_derivations_waiting",
    "Key derivations waiting now for a slot of this machine's derivation gate.",
    multiprocess_mode="livesum",
)
STORE_SECONDS = Histogram(
    "pysecrets_store_call_duration_seconds",
    "Time of each call to a store, by backend and call.",
    ["backend", "call"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STORE_ERRORS = Counter(
    "pysecrets_store_errors",
    "Store calls that failed (an outage or a fault; never a normal miss), by backend and call.",
    ["backend", "call"],
)


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    REQUEST_SECONDS.labels(route, method).observe(seconds)


def gated(gate, work):
    """
    ``work()`` inside ``gate`` (a context manager that may wait for a slot),
    counted as waiting until the slot is held and as running while it is.
    """
    waiting = True
    DERIVATIONS_WAITING.inc()
    try:
        with gate:
            DERIVATIONS_WAITING.dec()
            waiting = False
            with DERIVATIONS_RUNNING.track_inprogress():
                return work()
    finally:
        if waiting:
            DERIVATIONS_WAITING.dec()


def instrument_store(store, contract: type, *, normal: tuple[type[BaseException], ...] = ()):
    """
    Time every call of ``contract`` on ``store`` (wrapped on the instance, so
    it stays a ``contract``), and count the ones that raise anything but the
    ``normal`` results (a record that exists, a blob not found).
    """
    backend = type(store).__name__
    for name, member in vars(contract).items():
        if name.startswith("_") or name == "close" or not callable(member):
            continue
        setattr(store, name, _timed(getattr(store, name), backend, name, normal))
    return store


def _timed(call, backend: str, name: str, normal: tuple):
    seconds = STORE_SECONDS.labels(backend, name)
    errors = STORE_ERRORS.labels(backend, name)

    @functools.wraps(call)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return call(*args, **kwargs)
        except normal:
            raise
        except Exception:
            errors.inc()
            raise
        finally:
            seconds.observe(time.perf_counter() - start)

    return timed


def exposition() -> bytes:
    """Every metric in Prometheus's text format: this machine's workers summed, or this process's."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(PROCESS_REGISTRY)
