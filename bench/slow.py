"""
Slow clients: DOWNLOADS file reveals and UPLOADS file creates of SIZE bytes,
each at RATE bytes a second (hotel Wi-Fi), all at once, against a service
whose GUNICORN_TIMEOUT is far shorter than any of them. Meanwhile a prober
sends a create (/encrypt) and a /healthz every PROBE_EVERY seconds and times
each answer.

Afterwards every transfer must be byte-identical (length and CRC-32), and
every 1-view secret spent exactly once: a second reveal of each is a 404.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench import files

SIZE = 6 * 1024 * 1024
RATE = 100_000  # bytes a second, each client
DOWNLOADS, UPLOADS = 12, 2
TIMEOUT = 10  # GUNICORN_TIMEOUT of the service under test
PROBE_EVERY = 0.5


def _probe(url: str, stop: threading.Event) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"create": [], "healthz": [], "failed": []}
    create = json.dumps({"secret": "meanwhile", "view_count": 1}).encode()
    while not stop.wait(PROBE_EVERY):
        for name, request in (
            (
                "create",
                urllib.request.Request(
                    url + "/encrypt", data=create, headers={"Content-Type": "application/json"}
                ),
            ),
            ("healthz", urllib.request.Request(url + "/healthz")),
        ):
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except OSError:
                ok = False
            times[name if ok else "failed"].append(time.perf_counter() - began)
    return times


def _spent(port: int, created: dict) -> bool:
    status, _, _ = files.download(port, created)
    return status == 404


def run(
    server, *, size: int = SIZE, rate: float = RATE, downloads: int = DOWNLOADS, uploads: int = UPLOADS
) -> dict:
    """``server`` must run with GUNICORN_TIMEOUT=TIMEOUT; returns what was seen."""
    # The secrets to download, uploaded at full speed first.
    contents = [files.Content(size) for _ in range(downloads)]
    with ThreadPoolExecutor(4) as pool:
        created = list(pool.map(lambda c: files.upload(server.port, c), contents))
    uploads_content = [files.Content(size) for _ in range(uploads)]

    stop = threading.Event()
    server.reset_peak_rss()
    began = time.perf_counter()
    with ThreadPoolExecutor(downloads + uploads + 1) as pool:
        prober = pool.submit(_probe, server.url, stop)
        down = [pool.submit(files.download, server.port, c, rate=rate, timeout=600) for c in created]
        up = [pool.submit(files.upload, server.port, c, rate=rate, timeout=600) for c in uploads_content]
        down_results = [f.result() for f in down]
        up_created = []
        for f in up:
            try:
                up_created.append(f.result())
            except RuntimeError:
                up_created.append(None)
        took = time.perf_counter() - began
        stop.set()
        probes = prober.result()
    peak = server.peak_rss_mib()

    downloads_ok = sum(
        status == 200 and length == c.size and crc == c.crc
        for (status, length, crc), c in zip(down_results, contents, strict=True)
    )
    uploads_ok = 0
    spent_once = all(_spent(server.port, c) for c in created)
    for c, content in zip(up_created, uploads_content, strict=True):
        if c is None:
            continue
        status, length, crc = files.download(server.port, c)
        uploads_ok += status == 200 and length == content.size and crc == content.crc
        spent_once = spent_once and _spent(server.port, c)
    return {
        "size": size,
        "rate": rate,
        "timeout": TIMEOUT,
        "downloads": downloads,
        "uploads": uploads,
        "downloads_ok": downloads_ok,
        "uploads_ok": uploads_ok,
        "spent_once": spent_once,
        "seconds": took,
        "probes": {name: len(values) for name, values in probes.items()},
        "create_max_ms": max(probes["create"], default=float("nan")) * 1000,
        "healthz_max_ms": max(probes["healthz"], default=float("nan")) * 1000,
        "failed_probes": len(probes["failed"]),
        "peak_rss_mib": peak,
        "worker_timeouts": server.log().count("WORKER TIMEOUT"),
    }
