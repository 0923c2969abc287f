"""
``make soak``: SOAK_MINUTES (10) of mixed load on each backend, then the verdict.

For each backend: the service under gunicorn as ``make run`` serves it (the
production scrypt cost, no throttles: every client is 127.0.0.1), CLIENTS client
processes (a fifth of them slow) creating, revealing, burning and guessing
wrong, and the workers' memory sampled every few seconds. It passes when there
were no server errors and no exactly-N violations, the operators' counters equal
the sum of the clients' own tallies, and the workers' resident memory grew by at
most 10% from minute 2 to the last minute.

What is judged is the memory a worker keeps: each minute, the least it held in
any sample of that minute, summed over the workers. A passphrase derivation
holds 128 MiB (scrypt at N=2^17) for as long as it runs and gives it back, so
whether a sample catches one in flight moves a worker by about what it keeps,
and how often it does follows the machine's load; a leak lifts the least a worker
holds as much as its mean. The per-minute means are reported beside it.

    python -m soak                      # both backends, SOAK_MINUTES each
    SOAK_MINUTES=2 python -m soak local # a short try on one
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness.aws import AWSServers
from harness.processes import Gunicorn
from soak.client import run

CLIENTS = int(os.environ.get("SOAK_CLIENTS", "10"))
SAMPLE_SECONDS = 5
RSS_GROWTH_LIMIT = 0.10
COUNTED = [
    "created_text",
    "created_file",
    "views",
    "used_up",
    "burned",
    "failed_attempts",
    "destroyed",
    "expired",
]
TOTALS = """
import json
from sharing.services import usage_counts
print(json.dumps(usage_counts(days=1).totals))
"""


def rss_kib(pids: list[int]) -> dict[int, int]:
    """VmRSS of each process still alive, in KiB."""
    rss = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[pid] = int(line.split()[1])
        except OSError:
            continue
    return rss


def sample_memory(server: Gunicorn, start: float, stop: threading.Event, samples: list) -> None:
    while not stop.wait(SAMPLE_SECONDS):
        samples.append((time.time() - start, rss_kib(server.worker_pids())))


def mean_rss(samples: list, low: float, high: float) -> float:
    """The workers' summed RSS, averaged over the samples taken from ``low`` to ``high`` seconds."""
    values = [sum(rss.values()) for at, rss in samples if low <= at < high]
    return sum(values) / len(values) if values else 0.0


def kept_rss(samples: list, low: float, high: float) -> float:
    """
    What the workers kept from ``low`` to ``high`` seconds: the least each
    worker held in any sample there, summed. Memory a request takes and gives
    back (a derivation's 128 MiB) is in some samples and not others, so it
    moves the mean; what stays is in every sample, the least included.
    """
    least: dict[int, int] = {}
    for at, rss in samples:
        if low <= at < high:
            for pid, kib in rss.items():
                least[pid] = min(kib, least.get(pid, kib))
    return float(sum(least.values()))


def soak(backend: str, minutes: float, workdir: Path) -> dict:
    env = {
        "DATA_DIR": str(workdir / "data"),
        "THROTTLE_CREATE": "",
        "THROTTLE_REVEAL": "",
        "LOG_LEVEL": "WARNING",
    }
    aws = None
    if backend == "aws":
        aws = AWSServers().start()
        env |= aws.env()  # fresh servers: their own table and bucket
    server = Gunicorn(workdir, env=env, name=f"soak-{backend}", ready_path="/healthz")
    try:
        server.manage("setup_storage")
        server.start(60)
        start = time.time()
        until = start + minutes * 60
        stop, samples = threading.Event(), []
        sampler = threading.Thread(target=sample_memory, args=(server, start, stop, samples), daemon=True)
        sampler.start()
        results = multiprocessing.get_context("fork").Queue()
        slow = max(1, CLIENTS // 5)
        clients = [
            multiprocessing.get_context("fork").Process(
                target=run, args=(server.port, i < slow, 1000 + i, until, results)
            )
            for i in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        tallies = [results.get(timeout=minutes * 60 + 600) for _ in clients]
        for client in clients:
            client.join()
        stop.set()
        sampler.join()
        elapsed = time.time() - start
        counters = json.loads(server.manage("shell", "-c", TOTALS).strip().splitlines()[-1])
        log = server.log()
    finally:
        server.stop()
        if aws is not None:
            aws.stop()

    expected = {name: sum(t.counts.get(name, 0) for t in tallies) for name in COUNTED}
    counted = {name: counters.get(name, 0) for name in COUNTED}
    last_minute = max(minutes - 1, 1)
    early, late = kept_rss(samples, 60, 120), kept_rss(samples, last_minute * 60, minutes * 60 + 60)
    growth = (late - early) / early if early else None
    pids_seen = {tuple(sorted(rss)) for _, rss in samples}
    whole_minutes = range(int(minutes + 0.999))
    report = {
        "backend": backend,
        "minutes": round(elapsed / 60, 2),
        "clients": CLIENTS,
        "slow_clients": slow,
        "requests": sum(t.requests for t in tallies),
        "client_tally": expected,
        "operators_counters": counted,
        "counters_match": expected == counted,
        "server_errors": sum(len(t.server_errors) for t in tallies),
        "server_error_kinds": sorted({e for t in tallies for e in t.server_errors})[:10],
        "tracebacks_in_log": log.count("Traceback"),
        "exactly_n_violations": sum(len(t.violations) for t in tallies),
        "violation_kinds": sorted({v for t in tallies for v in t.violations})[:10],
        "worker_rss_kept_mib_minute_2": round(early / 1024, 1),
        "worker_rss_kept_mib_last_minute": round(late / 1024, 1),
        "worker_rss_growth": None if growth is None else round(growth, 4),
        "worker_rss_kept_mib_by_minute": [
            round(kept_rss(samples, m * 60, (m + 1) * 60) / 1024, 1) for m in whole_minutes
        ],
        "worker_rss_mean_mib_by_minute": [
            round(mean_rss(samples, m * 60, (m + 1) * 60) / 1024, 1) for m in whole_minutes
        ],
        "worker_sets_seen": len(pids_seen),
    }
    report["passed"] = (
        report["server_errors"] == 0
        and report["tracebacks_in_log"] == 0
        and report["exactly_n_violations"] == 0
        and report["counters_match"]
        and (growth is None or growth <= RSS_GROWTH_LIMIT)
    )
    return report


def main(argv: list[str]) -> int:
    minutes = float(os.environ.get("SOAK_MINUTES", "10"))
    backends = argv or ["local", "aws"]
    reports = []
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix=f"pysecrets-soak-{backend}-") as workdir:
            report = soak(backend, minutes, Path(workdir))
        print(json.dumps(report, indent=2), flush=True)
        reports.append(report)
    passed = all(r["passed"] for r in reports)
    print("soak", "passed" if passed else "FAILED", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
