"""
``python -m bench [--quick]``: starts the targets, loads them in turn for
several rounds, and prints and writes (artifacts/bench/) the results.

Each round, in an order reversed every other round so a slow drift of the
machine favours no target:

- bare scrypt in a pool of one process per core (the ceiling), the service's
  create and reveal at concurrency = cores with their latency, the pool again;
- routes that derive no key, each target in turn: the minimal DRF view, the
  service's pages and schema, snappass's page; then snappass's create.

Then, once each: a scrypt N sweep (a service per N) and a payload sweep of
file secrets up and down through HTTP, on the local and the aws backend.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import files, load, report, scrypt
from bench.load import Request
from bench.servers import ROOT, Gunicorn, Targets

KIB, MIB, GIB = 1024, 1024**2, 1024**3
DEFAULT_N = 2**15
MAX_VIEWS = 10
TEXT = "a benchmark secret text"
FULL = {
    "rounds": 5,
    "kdf_seconds": 8,
    "min_derivations": 25,
    "route_seconds": 5,
    "sweep_seconds": 6,
    "payloads": [KIB, MIB, 64 * MIB, GIB],
    "aws_payloads": [MIB, 64 * MIB, GIB],
    # N=2^10, the least the service accepts, derives in a few ms: its rates show what everything
    # but the derivation costs a request.
    "sweep_n": [2**10, 2**14, 2**15, 2**17],
    "largest_repeats": 2,
}
QUICK = {
    "rounds": 2,
    "kdf_seconds": 2,
    "min_derivations": 4,
    "route_seconds": 1,
    "sweep_seconds": 2,
    "payloads": [KIB, MIB, 16 * MIB],
    "aws_payloads": [MIB],
    "sweep_n": [2**10, 2**14],
    "largest_repeats": 1,
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a short smoke run: 2 rounds, files up to 16 MiB"
    )
    parser.add_argument("--rounds", type=int, help="rounds of the interleaved comparison")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="gunicorn workers (default: cores)"
    )
    parser.add_argument(
        "--skip", action="append", default=[], choices=["sweep", "files", "aws"], help="leave out a part"
    )
    parser.add_argument(
        "--from-json", type=Path, help="only write the table and chart again from a results.json"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "bench", help="where results go")
    return parser.parse_args(argv)


# -- helpers ---------------------------------------------------------------------


def post_json(server: Gunicorn, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        server.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def create_request() -> Request:
    return Request("POST", "/api/text/", "application/json", json.dumps({"secret": TEXT, "view_count": 1}))


def reveal_requests(server: Gunicorn, *, expected: int, cores: int) -> list[Request]:
    """Secrets enough for ``expected`` reveals with room to spare, each listed once (it has 10 views)."""
    count = math.ceil(expected / MAX_VIEWS) + cores
    body = {"secret": TEXT, "view_count": MAX_VIEWS}
    with ThreadPoolExecutor(cores) as pool:
        created = list(pool.map(lambda _: post_json(server, "/api/text/", body), range(count)))
    return [
        Request(
            "POST",
            f"/api/text/{c['secret_id']}/reveal/",
            "application/json",
            json.dumps({"passphrase": c["passphrase"]}),
        )
        for c in created
    ]


def kdf_phase(server: Gunicorn, *, n: int, cores: int, seconds: float, min_derivations: int) -> dict:
    """Pool rate, then the service's create and reveal at concurrency = cores."""
    # wrk counts only answers finished in time: a phase must span many derivations so the
    # ones cut off at its end (at most one a connection) are a small part of the count.
    one_ms = scrypt.one_derivation_ms(n, repeat=3)  # measured here, as the machine is now
    seconds = max(seconds, min_derivations * one_ms / 1000)
    # The pool runs before and after the service, and their mean is the ceiling: a machine whose
    # other load changes during the phase then moves the ceiling and the service alike.
    pool_before = scrypt.pool_rate(n, processes=cores, seconds=seconds)
    server.reset_peak_rss()
    create = load.run(server.url, [create_request()], connections=cores, seconds=seconds)
    # Enough secrets for reveals at the pool's rate (or a few times the create rate, when N is so
    # small that the pool's rate means nothing), with room to spare.
    expected = min(pool_before, 3 * max(create.rate, 1)) * seconds * 1.5
    reveals = reveal_requests(server, expected=int(expected), cores=cores)
    reveal = load.run(server.url, reveals, connections=cores, seconds=seconds)
    pool_after = scrypt.pool_rate(n, processes=cores, seconds=seconds)
    return {
        "one_ms": one_ms,
        "pool": (pool_before + pool_after) / 2,
        "pool_before": pool_before,
        "pool_after": pool_after,
        "create": create.__dict__ | {"rate": create.rate},
        "reveal": reveal.__dict__ | {"rate": reveal.rate},
        "peak_rss_mib": server.peak_rss_mib(),
    }


def route_phase(server: Gunicorn, path: str, *, connections: int, seconds: float) -> dict:
    server.reset_peak_rss()
    result = load.run(server.url, [Request("GET", path)], connections=connections, seconds=seconds)
    return result.__dict__ | {"rate": result.rate, "peak_rss_mib": server.peak_rss_mib()}


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
    service = targets.service(workers=workers, scrypt_n=DEFAULT_N)
    minimal = targets.minimal(workers=workers)
    snappass = targets.snappass(workers=workers)
    routes = ["/", "/secret/AAAAAAAAAAAAAAAA", "/api/schema/"]
    if answers(service, "/healthz"):
        routes.insert(0, "/healthz")
    kdf_s, route_s, least = settings["kdf_seconds"], settings["route_seconds"], settings["min_derivations"]
    # Cheap routes get two connections a worker, so a worker never waits on the client between requests.
    wide = 2 * workers

    steps = [
        ("kdf", lambda: kdf_phase(service, n=DEFAULT_N, cores=cores, seconds=kdf_s, min_derivations=least)),
        ("minimal /", lambda: route_phase(minimal, "/", connections=wide, seconds=route_s)),
    ]
    for path in routes:
        steps.append(
            (f"service {path}", lambda p=path: route_phase(service, p, connections=wide, seconds=route_s))
        )
        steps.append(("minimal /", lambda: route_phase(minimal, "/", connections=wide, seconds=route_s)))
    steps.append(("snappass /", lambda: route_phase(snappass, "/", connections=wide, seconds=route_s)))
    snappass_create = Request(
        "POST", "/", "application/x-www-form-urlencoded", "password=a+benchmark+secret&ttl=hour"
    )

    def snappass_create_phase() -> dict:
        result = load.run(snappass.url, [snappass_create], connections=cores, seconds=kdf_s)
        return result.__dict__ | {"rate": result.rate}

    steps.append(("snappass create", snappass_create_phase))

    results = []
    for number in range(1, rounds + 1):
        order = steps if number % 2 else steps[::-1]
        measured: dict = {"round": number}
        for name, step in order:
            result = step()
            if name == "minimal /":  # measured beside each route; the round keeps their median
                measured.setdefault("minimal runs", []).append(result)
            else:
                measured[name] = result
        runs = measured.pop("minimal runs")
        measured["minimal /"] = min(
            runs, key=lambda r: abs(r["rate"] - statistics.median(x["rate"] for x in runs))
        )
        results.append(measured)
        report.print_round(measured)
    for server in (service, minimal, snappass):
        server.stop()
    return results


def n_sweep(
    targets: Targets, *, values: list[int], seconds: float, min_derivations: int, workers: int, cores: int
) -> list[dict]:
    rows = []
    for n in values:
        service = targets.service(workers=workers, scrypt_n=n, name=f"service-n{n}")
        row = {"n": n}
        row |= kdf_phase(service, n=n, cores=cores, seconds=seconds, min_derivations=min_derivations)
        service.stop()
        rows.append(row)
        report.print_sweep_row(row)
    return rows


def payload_sweep(
    targets: Targets, *, sizes: list[int], largest_repeats: int, workers: int, backend: str = "local"
) -> list[dict]:
    env = targets.aws_env() if backend == "aws" else {}
    service = targets.service(workers=workers, scrypt_n=DEFAULT_N, name=f"service-files-{backend}", env=env)
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
        "settings": settings | {"workers": args.workers, "quick": args.quick},
        "one_derivation_ms": scrypt.one_derivation_ms(DEFAULT_N),
    }
    started = time.monotonic()
    with Targets() as targets:
        print(
            f"bench: {cores} cores, {args.workers} workers a target, scratch in {targets.workdir}", flush=True
        )
        results["rounds"] = interleaved(
            targets, settings, rounds=settings["rounds"], workers=args.workers, cores=cores
        )
        if "sweep" not in args.skip:
            results["n_sweep"] = n_sweep(
                targets,
                values=settings["sweep_n"],
                seconds=settings["sweep_seconds"],
                min_derivations=settings["min_derivations"],
                workers=args.workers,
                cores=cores,
            )
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
