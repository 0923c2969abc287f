"""
Load from ``wrk`` (a small C load tool, one thread here so it takes little of
the machine from the server) driven by ``lua/requests.lua``, which replays a
list of requests in turn: one for a plain route, or a list of reveals, each
of a different secret, prepared beforehand.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("lua") / "requests.lua"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    content_type: str = ""
    body: str = ""

    def line(self) -> str:
        for part in (self.method, self.path, self.content_type, self.body):
            if "\t" in part or "\n" in part:
                raise ValueError("requests are written one a line, fields separated by tabs")
        return "\t".join((self.method, self.path, self.content_type, self.body))


@dataclass(frozen=True)
class Latency:
    """What every run reports beside its count: errors, how long it ran, and the time answers took."""

    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Load(Latency):
    """What one wrk run saw. ``rate`` counts answers that were not errors."""

    requests: int

    @property
    def rate(self) -> float:
        return (self.requests - self.errors) / self.seconds


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    return path


def run(url: str, requests: list[Request], *, connections: int, seconds: float, timeout: float = 30) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", prefix="bench-requests-") as listing:
        listing.write("\n".join(r.line() for r in requests) + "\n")
        listing.flush()
        result = subprocess.run(
            [
                wrk_path(),
                "--threads",
                "1",
                "--connections",
                str(connections),
                "--duration",
                f"{math.ceil(seconds)}s",  # wrk takes whole seconds only
                "--timeout",
                f"{timeout:g}s",
                "--script",
                str(SCRIPT),
                url,
                "--",
                listing.name,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line.removeprefix("BENCH "))
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Load(
        requests=data["requests"],
        errors=errors,
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
