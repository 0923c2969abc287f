"""
Create -> reveal cycles, the way a user shares a secret: create one, open it
once, each step waiting for the answer of the one before. wrk replays fixed
requests and cannot chain them, so these clients are Python: one process per
connection (threads would queue on one interpreter lock), each on its own
kept-alive connection, timing every whole cycle.

Both the service (its original routes, /encrypt then /decrypt) and snappass
(POST / for a link, then POST on the link) are driven by the same loop, so the
client's own cost is the same on both sides of the comparison.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import statistics
import time
import urllib.parse
from dataclasses import dataclass

from bench.load import Latency

SECRET = "a benchmark secret text"


@dataclass(frozen=True)
class Cycles(Latency):
    """Whole create -> reveal cycles; ``cycles`` counts the ones that succeeded."""

    cycles: int

    @property
    def rate(self) -> float:
        return self.cycles / self.seconds


def _request(conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def service_cycle(conn: http.client.HTTPConnection) -> bool:
    """/encrypt a text, /decrypt it: the original API, as existing scripts use it."""
    headers = {"Content-Type": "application/json"}
    status, body = _request(
        conn, "/encrypt", json.dumps({"secret": SECRET, "view_count": 1}).encode(), headers
    )
    if status != 200:
        return False
    status, body = _request(conn, "/decrypt", body, headers)
    return status == 200 and json.loads(body)["data"] == SECRET


def snappass_cycle(conn: http.client.HTTPConnection) -> bool:
    """POST / for a link (as JSON), then POST the link: snappass's own create and reveal."""
    form = urllib.parse.urlencode({"password": SECRET, "ttl": "hour"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    status, body = _request(conn, "/", form, headers)
    if status != 200:
        return False
    path = urllib.parse.urlsplit(json.loads(body)["link"]).path
    status, body = _request(conn, path, b"", {"Content-Length": "0"})
    return status == 200 and SECRET.encode() in body


CYCLES = {"service": service_cycle, "snappass": snappass_cycle}


def _client(args: tuple[str, int, str, float, float]) -> tuple[list[float], int]:
    host, port, kind, start_at, seconds = args
    cycle = CYCLES[kind]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    times, errors = [], 0
    while time.time() < start_at:  # every client starts at the same moment
        time.sleep(0.001)
    deadline = time.perf_counter() + seconds
    while (began := time.perf_counter()) < deadline:
        try:
            ok = cycle(conn)
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
        if ok:
            times.append(time.perf_counter() - began)
        else:
            errors += 1
    conn.close()
    return times, errors


def run(port: int, kind: str, *, concurrency: int, seconds: float, host: str = "127.0.0.1") -> Cycles:
    start_at = time.time() + 0.5
    with multiprocessing.get_context("fork").Pool(concurrency) as pool:
        outcomes = pool.map(_client, [(host, port, kind, start_at, seconds)] * concurrency)
    times = sorted(t for ts, _ in outcomes for t in ts)
    errors = sum(e for _, e in outcomes)
    if not times:
        return Cycles(cycles=0, errors=errors, seconds=seconds, p50_ms=float("nan"), p99_ms=float("nan"))
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return Cycles(
        cycles=len(times),
        errors=errors,
        seconds=seconds,
        p50_ms=statistics.median(times) * 1000,
        p99_ms=p99 * 1000,
    )
