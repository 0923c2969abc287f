"""
``python -m bench [--quick]``: starts the targets, loads them in turn for
several rounds, and prints and writes (artifacts/bench/) the results.

Each round, in an order reversed every other round so a slow drift of the
machine favours no target:

- creates on the original route (``POST /encrypt``) and snappass's create
  (``POST /``), under wrk at two connections a worker;
- create -> reveal cycles, one after the other at concurrency 2, on the
  original routes (/encrypt then /decrypt) and on snappass's (POST / then POST
  the link), with their latency;
- creates with a passphrase a person chose (scrypt N=2^17) at two connections
  a worker, between two runs of a bare scrypt pool of one process per core:
  the derivation's own ceiling;
- routes that derive no key, each target in turn: the minimal DRF view, the
  service's pages and schema, snappass's page.

Then, once each: slow clients past a short GUNICORN_TIMEOUT (``bench.slow``),
what each kind of miss costs (``bench.misses``), and file secrets up and down
through HTTP on the local and the aws backend.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import cycles, files, load, misses, report, scrypt, slow
from bench.load import Request
from bench.servers import ROOT, Gunicorn, Targets

KIB, MIB, GIB = 1024, 1024**2, 1024**3
OWN_N = 2**17  # scrypt cost of a passphrase a person chose: OWASP's minimum, the service's default
TEXT = "a benchmark secret text"
OWN_PASSPHRASE = "a benchmark passphrase chosen by a person"
FULL = {
    "rounds": 3,
    "seconds": 6,  # a create or cycle phase, a route
    "own_seconds": 10,  # an own-passphrase phase and each pool run beside it
    "min_derivations": 25,
    "payloads": [KIB, MIB, 64 * MIB, GIB],
    "aws_payloads": [MIB, 64 * MIB, GIB],
    "largest_repeats": 2,
    "miss_samples": {"generated": 150, "own": 15},
    "slow": {"size": slow.SIZE, "rate": slow.RATE, "downloads": slow.DOWNLOADS, "uploads": slow.UPLOADS},
}
QUICK = {
    "rounds": 2,
    "seconds": 2,
    "own_seconds": 3,
    "min_derivations": 4,
    "payloads": [KIB, MIB, 16 * MIB],
    "aws_payloads": [MIB],
    "largest_repeats": 1,
    "miss_samples": {"generated": 20, "own": 3},
    # A tenth of the size at the same rate: as many clients, past the same timeout.
    "slow": {"size": 1536 * KIB, "rate": slow.RATE, "downloads": slow.DOWNLOADS, "uploads": slow.UPLOADS},
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run: 2 rounds, smaller files")
    parser.add_argument("--rounds", type=int, help="rounds of the interleaved comparison")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="gunicorn workers a target (default: cores)"
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["slow", "misses", "files", "aws"],
        help="leave out a part",
    )
    parser.add_argument(
        "--from-json", type=Path, help="only write the table and chart again from a results.json"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "bench", help="where results go")
    return parser.parse_args(argv)


# -- helpers ---------------------------------------------------------------------


def measured(result, server: Gunicorn | None = None) -> dict:
    out = result.__dict__ | {"rate": result.rate}
    if server is not None:
        out["peak_rss_mib"] = server.peak_rss_mib()
    return out


def wrk_phase(server: Gunicorn, request: Request, *, connections: int, seconds: float) -> dict:
    server.reset_peak_rss()
    return measured(load.run(server.url, [request], connections=connections, seconds=seconds), server)


def cycle_phase(server: Gunicorn, kind: str, *, seconds: float) -> dict:
    server.reset_peak_rss()
    return measured(cycles.run(server.port, kind, concurrency=2, seconds=seconds), server)


def own_phase(server: Gunicorn, *, cores: int, workers: int, seconds: float, min_derivations: int) -> dict:
    """Own-passphrase creates between two pool runs; their mean is the ceiling for the phase."""
    one_ms = scrypt.one_derivation_ms(OWN_N, repeat=2)
    # wrk counts only answers finished in time: a phase must span many derivations so the ones
    # cut off at its end (at most one a connection) are a small part of the count.
    seconds = max(seconds, min_derivations * one_ms / 1000 * 2 / cores)
    before = scrypt.pool_rate(OWN_N, processes=cores, seconds=seconds)
    body = json.dumps({"secret": TEXT, "view_count": 1, "passphrase": OWN_PASSPHRASE})
    create = wrk_phase(
        server,
        Request("POST", "/api/text/", "application/json", body),
        connections=2 * workers,
        seconds=seconds,
    )
    after = scrypt.pool_rate(OWN_N, processes=cores, seconds=seconds)
    return {"one_ms": one_ms, "pool": (before + after) / 2, "pool_before": before, "pool_after": after} | {
        "create": create
    }


def answers(server: Gunicorn, path: str) -> bool:
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(mem_kib / 1024**2, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_start": os.getloadavg(),
    }


def ensure_static_files() -> None:
    # The pages name their assets through the static manifest, which collectstatic writes.
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, check=True
        )


# -- the parts ---------------------------------------------------------------------


def interleaved(targets: Targets, settings: dict, *, rounds: int, workers: int, cores: int) -> list[dict]:
    service = targets.service(workers=workers, scrypt_n=OWN_N)
    minimal = targets.minimal(workers=workers)
    snappass = targets.snappass(workers=workers)
    seconds, wide = settings["seconds"], 2 * workers  # two connections a worker: none waits on the client
    encrypt = Request("POST", "/encrypt", "application/json", json.dumps({"secret": TEXT, "view_count": 1}))
    snappass_create = Request(
        "POST", "/", "application/x-www-form-urlencoded", "password=a+benchmark+secret&ttl=hour"
    )
    routes = ["/healthz", "/", "/secret/AAAAAAAAAAAAAAAA", "/api/schema/"]

    def route(server: Gunicorn, path: str):
        return lambda: wrk_phase(server, Request("GET", path), connections=wide, seconds=seconds)

    steps = [
        ("service create", lambda: wrk_phase(service, encrypt, connections=wide, seconds=seconds)),
        ("snappass create", lambda: wrk_phase(snappass, snappass_create, connections=wide, seconds=seconds)),
        ("service cycle", lambda: cycle_phase(service, "service", seconds=seconds)),
        ("snappass cycle", lambda: cycle_phase(snappass, "snappass", seconds=seconds)),
        (
            "own",
            lambda: own_phase(
                service,
                cores=cores,
                workers=workers,
                seconds=settings["own_seconds"],
                min_derivations=settings["min_derivations"],
            ),
        ),
        ("minimal /", route(minimal, "/")),
    ]
    for path in routes:
        steps += [(f"service {path}", route(service, path)), ("minimal /", route(minimal, "/"))]
    steps.append(("snappass /", route(snappass, "/")))

    results = []
    for number in range(1, rounds + 1):
        order = steps if number % 2 else steps[::-1]
        measured_round: dict = {"round": number}
        for name, step in order:
            result = step()
            if name == "minimal /":  # measured beside each route; the round keeps their median
                measured_round.setdefault("minimal runs", []).append(result)
            else:
                measured_round[name] = result
        runs = measured_round.pop("minimal runs")
        middle = statistics.median(r["rate"] for r in runs)
        measured_round["minimal /"] = min(runs, key=lambda r: abs(r["rate"] - middle))
        results.append(measured_round)
        report.print_round(measured_round)
    for server in (service, minimal, snappass):
        server.stop()
    return results


def slow_clients(targets: Targets, settings: dict, *, workers: int) -> dict:
    service = targets.service(
        workers=workers, scrypt_n=OWN_N, name="service-slow", env={"GUNICORN_TIMEOUT": str(slow.TIMEOUT)}
    )
    result = slow.run(service, **settings["slow"])
    service.stop()
    report.print_slow(result)
    return result


def miss_timing(targets: Targets, settings: dict, *, workers: int) -> dict:
    # Wrong guesses are the point here: enough of them never destroy the secrets they aim at.
    env = {"MAX_FAILED_ATTEMPTS": str(10**9)}
    service = targets.service(workers=workers, scrypt_n=OWN_N, name="service-misses", env=env)
    result = misses.run(service, targets.workdir / "service-misses", samples=settings["miss_samples"])
    service.stop()
    report.print_misses(result)
    return result


def payload_sweep(
    targets: Targets, *, sizes: list[int], largest_repeats: int, workers: int, backend: str = "local"
) -> list[dict]:
    env = targets.aws_env() if backend == "aws" else {}
    service = targets.service(workers=workers, scrypt_n=OWN_N, name=f"service-files-{backend}", env=env)
    rows = []
    for size in sizes:
        repeats = largest_repeats if size == max(sizes) else 1
        runs = [files.transfer(service, size) for _ in range(repeats)]
        row = {
            "size": size,
            "up_seconds": statistics.median(r.up_seconds for r in runs),
            "down_seconds": statistics.median(r.down_seconds for r in runs),
            "up_peak_rss_mib": max(r.up_peak_rss_mib for r in runs),
            "down_peak_rss_mib": max(r.down_peak_rss_mib for r in runs),
            "client_peak_rss_mib": max(r.client_peak_rss_mib for r in runs),
            "up_cpu_seconds": statistics.median(r.up_cpu_seconds for r in runs),
            "down_cpu_seconds": statistics.median(r.down_cpu_seconds for r in runs),
            "repeats": repeats,
        }
        row["up_mb_s"] = size / row["up_seconds"] / 1e6
        row["down_mb_s"] = size / row["down_seconds"] / 1e6
        rows.append(row)
        report.print_payload_row(row, backend)
    service.stop()
    return rows


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.from_json:
        write(json.loads(args.from_json.read_text()), args.out)
        return
    settings = dict(QUICK if args.quick else FULL)
    if args.rounds:
        settings["rounds"] = args.rounds
    cores = os.cpu_count()
    load.wrk_path()
    ensure_static_files()
    results = {
        "machine": machine(),
        "settings": settings | {"workers": args.workers, "quick": args.quick, "argv": sys.argv[1:]},
    }
    started = time.monotonic()
    with Targets() as targets:
        print(
            f"bench: {cores} cores, {args.workers} workers a target, scratch in {targets.workdir}", flush=True
        )
        results["rounds"] = interleaved(
            targets, settings, rounds=settings["rounds"], workers=args.workers, cores=cores
        )
        if "slow" not in args.skip:
            results["slow"] = slow_clients(targets, settings, workers=args.workers)
        if "misses" not in args.skip:
            results["misses"] = miss_timing(targets, settings, workers=args.workers)
        if "files" not in args.skip:
            results["payloads"] = payload_sweep(
                targets,
                sizes=settings["payloads"],
                largest_repeats=settings["largest_repeats"],
                workers=args.workers,
            )
        if "aws" not in args.skip:
            results["aws_payloads"] = payload_sweep(
                targets,
                sizes=settings["aws_payloads"],
                largest_repeats=1,
                workers=args.workers,
                backend="aws",
            )
    results["machine"]["load_average_end"] = os.getloadavg()
    results["seconds"] = time.monotonic() - started
    write(results, args.out)


def write(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    table = report.markdown(results)
    (out / "results.md").write_text(table)
    report.chart(results, out / "results.png")
    print("\n" + table)
    print(f"written: {out}/results.md, results.png, results.json ({results['seconds']:.0f} s)")
