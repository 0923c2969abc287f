"""
What the run prints as it goes, and the markdown table and PNG chart it
writes at the end. Ratios are taken within a round (the service against the
pool or the minimal view measured minutes apart at most), then their median
across rounds is reported.
"""

from __future__ import annotations

import statistics
from pathlib import Path

ROUTE_TARGET = 0.6  # a route without a derivation, x the minimal DRF view
SNAPPASS_TARGET = 0.7  # creates and cycles on the original routes, x snappass
CYCLE_P99_MS = 10
OWN_LOW, OWN_HIGH = 0.9, 1.15  # own-passphrase creates, x a bare scrypt pool
PROBE_MS = 500  # creates and /healthz while slow clients transfer
MISS_SPREAD = 0.10
FILE_MB_S_TARGET, FILE_RSS_TARGET = 300, 100


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def size_name(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} B"


def cpu_rate(row: dict, way: str) -> str:
    seconds = row.get(f"{way}_cpu_seconds")
    return f"{row['size'] / seconds / 1e6:.0f}" if seconds else ""


def routes_of(rounds: list[dict]) -> list[str]:
    return [name for name in rounds[0] if name.startswith(("minimal /", "service /", "snappass /"))]


# -- as it goes -------------------------------------------------------------------


def print_round(r: dict) -> None:
    own = r["own"]
    print(
        f"round {r['round']}: /encrypt {r['service create']['rate']:.0f}/s, snappass create"
        f" {r['snappass create']['rate']:.0f}/s | cycles {r['service cycle']['rate']:.0f}/s"
        f" (p99 {r['service cycle']['p99_ms']:.1f} ms), snappass {r['snappass cycle']['rate']:.0f}/s"
        f" (p99 {r['snappass cycle']['p99_ms']:.1f} ms) |"
        f" own-passphrase creates {own['create']['rate']:.2f}/s,"
        f" scrypt pool {own['pool']:.2f}/s ({own['create']['rate'] / own['pool']:.2f}x)",
        flush=True,
    )
    base = r["minimal /"]["rate"]
    parts = [f"{name} {r[name]['rate']:.0f}/s ({r[name]['rate'] / base:.2f}x)" for name in routes_of([r])]
    print(f"  routes: {' | '.join(parts)}", flush=True)


def print_slow(r: dict) -> None:
    print(
        f"slow clients: {r['downloads_ok']}/{r['downloads']}"
        f" downloads, {r['uploads_ok']}/{r['uploads']} uploads"
        f" of {size_name(r['size'])} at {r['rate'] / 1000:.0f} KB/s in {r['seconds']:.0f} s"
        f" (GUNICORN_TIMEOUT={r['timeout']}); spent once: {r['spent_once']}; meanwhile create max"
        f" {r['create_max_ms']:.0f} ms, /healthz max"
        f" {r['healthz_max_ms']:.0f} ms, {r['failed_probes']} failed;"
        f" worker peak {r['peak_rss_mib']:.0f} MiB; worker timeouts {r['worker_timeouts']}",
        flush=True,
    )


def print_misses(r: dict) -> None:
    for op, kinds in r["medians_ms"].items():
        for kind, cases in kinds.items():
            values = ", ".join(f"{case} {ms:.1f}" for case, ms in cases.items())
            print(
                f"misses, {op}, {kind} passphrase (median ms): {values}; spread {r['spread'][op][kind]:.1%}"
            )


def print_payload_row(row: dict, backend: str) -> None:
    print(
        f"file {size_name(row['size'])}, {backend}: up {row['up_mb_s']:.0f} MB/s ({row['up_seconds']:.2f} s),"
        f" down {row['down_mb_s']:.0f} MB/s ({row['down_seconds']:.2f} s),"
        f" worker peak {row['up_peak_rss_mib']:.0f}/{row['down_peak_rss_mib']:.0f} MiB,"
        f" client peak {row['client_peak_rss_mib']:.0f} MiB",
        flush=True,
    )


# -- the table ----------------------------------------------------------------------


def _summary(rounds: list[dict], name: str) -> dict:
    runs = [r[name] for r in rounds]
    out = {k: median(x[k] for x in runs) for k in ("rate", "p50_ms", "p99_ms")}
    out["errors"] = sum(x["errors"] for x in runs)
    out["peak_rss_mib"] = max(x.get("peak_rss_mib", 0) for x in runs)
    return out


def _ratio(rounds: list[dict], name: str, reference: str) -> float:
    return median(r[name]["rate"] / r[reference]["rate"] for r in rounds if r[reference]["rate"])


def _own(rounds: list[dict]) -> dict:
    own = [r["own"] for r in rounds]
    return {
        "pool": median(o["pool"] for o in own),
        "one_ms": median(o["one_ms"] for o in own),
        "rate": median(o["create"]["rate"] for o in own),
        "ratio": median(o["create"]["rate"] / o["pool"] for o in own),
        "p50_ms": median(o["create"]["p50_ms"] for o in own),
        "p99_ms": median(o["create"]["p99_ms"] for o in own),
        "errors": sum(o["create"]["errors"] for o in own),
        "peak_rss_mib": max(o["create"]["peak_rss_mib"] for o in own),
    }


def _route_summary(rounds: list[dict]) -> dict:
    out = {}
    for name in ["minimal /", *[n for n in routes_of(rounds) if n != "minimal /"]]:
        out[name] = _summary(rounds, name) | {"ratio": _ratio(rounds, name, "minimal /")}
    return out


def payload_table(rows: list[dict], backend: str) -> list[str]:
    lines = [
        "",
        f"#### File secrets up and down through HTTP, {backend} backend",
        "",
        "MB/s counts the whole request; MB per CPU-s is the same bytes over the CPU time the worker"
        " used, which other load on the machine does not inflate.",
        "",
        "| size | upload s | upload MB/s | MB per CPU-s | download s | download MB/s | MB per CPU-s"
        " | worker peak RSS up / down MiB | client peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {size_name(row['size'])} | {row['up_seconds']:.2f} | {row['up_mb_s']:.0f}"
            f" | {cpu_rate(row, 'up')} | {row['down_seconds']:.2f} | {row['down_mb_s']:.0f}"
            f" | {cpu_rate(row, 'down')} | {row['up_peak_rss_mib']:.0f} / {row['down_peak_rss_mib']:.0f}"
            f" | {row['client_peak_rss_mib']:.0f} |"
        )
    return lines


def markdown(results: dict) -> str:
    m, s, rounds = results["machine"], results["settings"], results["rounds"]
    cores = m["nproc"]
    own = _own(rounds)
    lines = [
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']},"
        f" Python {m['python']}; load average {m['load_average_start'][0]:.2f} at start,"
        f" {m['load_average_end'][0]:.2f} at end.",
        f"Run: `python -m bench{''.join(' ' + a for a in s.get('argv', []))}`: {s['rounds']} rounds"
        f"{' (quick)' if s['quick'] else ''}, {s['workers']}"
        f" gunicorn workers a target, {s['seconds']} s a phase;"
        f" took {results['seconds']:.0f} s.",
        "",
        f"#### The original routes beside snappass (medians of {len(rounds)} rounds, same worker count)",
        "",
        "| | per second | x snappass | p50 ms | p99 ms | worker peak RSS MiB | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label, ref in (
        ("service create", f"creates, `POST /encrypt` ({2 * s['workers']} connections)", "snappass create"),
        ("snappass create", "snappass creates, `POST /`", "snappass create"),
        (
            "service cycle",
            "create -> reveal cycles, `/encrypt` then `/decrypt` (concurrency 2)",
            "snappass cycle",
        ),
        ("snappass cycle", "snappass cycles, `POST /` then the link (concurrency 2)", "snappass cycle"),
    ):
        x = _summary(rounds, name)
        lines.append(
            f"| {label} | {x['rate']:.0f} | {_ratio(rounds, name, ref):.2f}"
            f" | {x['p50_ms']:.1f} | {x['p99_ms']:.1f}"
            f" | {x['peak_rss_mib']:.0f} | {x['errors']} |"
        )
    lines += [
        "",
        f"#### Passphrases a person chose: scrypt N=2^17 (medians of {len(rounds)} rounds)",
        "",
        f"One derivation alone: {own['one_ms']:.0f} ms.",
        "",
        "| | per second | x scrypt pool | p50 ms | p99 ms | worker peak RSS MiB | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| bare scrypt, pool of {cores} processes | {own['pool']:.2f} | 1.00 | | | | |",
        f"| creates with an own passphrase, `POST /api/text/` ({2 * s['workers']} connections)"
        f" | {own['rate']:.2f} | {own['ratio']:.2f} | {own['p50_ms']:.0f} | {own['p99_ms']:.0f}"
        f" | {own['peak_rss_mib']:.0f} | {own['errors']} |",
    ]
    routes = _route_summary(rounds)
    lines += [
        "",
        f"#### Routes without a key derivation (medians; {2 * s['workers']} connections)",
        "",
        "| route | per second | x minimal DRF | p50 ms | p99 ms | worker peak RSS MiB | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in routes.items():
        lines.append(
            f"| {name} | {r['rate']:.0f} | {r['ratio']:.2f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f}"
            f" | {r['peak_rss_mib']:.0f} | {r['errors']} |"
        )
    lines += [
        "",
        "#### Per round",
        "",
        "| round | /encrypt /s | snappass create /s | x | cycles /s | snappass cycles /s | x | cycle p99 ms"
        " | own creates /s | scrypt pool /s | x |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rounds:
        c, sc, y, sy, o = (
            r["service create"],
            r["snappass create"],
            r["service cycle"],
            r["snappass cycle"],
            r["own"],
        )
        lines.append(
            f"| {r['round']} | {c['rate']:.0f} | {sc['rate']:.0f}"
            f" | {c['rate'] / sc['rate']:.2f} | {y['rate']:.0f}"
            f" | {sy['rate']:.0f} | {y['rate'] / sy['rate']:.2f}"
            f" | {y['p99_ms']:.1f} | {o['create']['rate']:.2f}"
            f" | {o['pool']:.2f} | {o['create']['rate'] / o['pool']:.2f} |"
        )
    if results.get("slow"):
        r = results["slow"]
        lines += [
            "",
            "#### Slow clients",
            "",
            f"{r['downloads']} downloads and {r['uploads']} uploads of {size_name(r['size'])}, each at"
            f" {r['rate'] / 1000:.0f} KB/s, all at once, against"
            f" a service with GUNICORN_TIMEOUT={r['timeout']};"
            f" a create (`/encrypt`) and a `/healthz` every 0.5 s meanwhile.",
            "",
            "| | |",
            "|---|---|",
            f"| took | {r['seconds']:.0f} s |",
            f"| downloads complete, byte-identical | {r['downloads_ok']} of {r['downloads']} |",
            f"| uploads complete, byte-identical | {r['uploads_ok']} of {r['uploads']} |",
            f"| every 1-view secret spent exactly once | {'yes' if r['spent_once'] else 'no'} |",
            "| creates meanwhile: slowest answer |"
            f" {r['create_max_ms']:.0f} ms ({r['probes']['create']} sent) |",
            "| `/healthz` meanwhile: slowest answer |"
            f" {r['healthz_max_ms']:.0f} ms ({r['probes']['healthz']} sent) |",
            f"| probes failed | {r['failed_probes']} |",
            f"| workers killed by the timeout | {r['worker_timeouts']} |",
            f"| worker peak RSS | {r['peak_rss_mib']:.0f} MiB |",
        ]
    if results.get("misses"):
        r = results["misses"]
        cases = list(next(iter(next(iter(r["medians_ms"].values())).values())))
        lines += [
            "",
            f"#### What a miss costs: medians, ms ({r['samples']['generated']} samples a case for generated"
            f" passphrases, {r['samples']['own']} for own; every answer {r['statuses']})",
            "",
            "| | " + " | ".join(cases) + " | spread |",
            "|---|" + "---:|" * (len(cases) + 1),
        ]
        for op, kinds in r["medians_ms"].items():
            for kind, values in kinds.items():
                lines.append(
                    f"| {op}, {kind} passphrase | "
                    + " | ".join(f"{values[c]:.1f}" for c in cases)
                    + f" | {r['spread'][op][kind]:.1%} |"
                )
    for key, backend in (("payloads", "local"), ("aws_payloads", "aws")):
        if results.get(key):
            lines += payload_table(results[key], backend)
    lines += ["", "#### Targets", "", "| target | measured | met |", "|---|---|---|"]
    for name, value, met in targets(results):
        lines.append(f"| {name} | {value} | {'yes' if met else '**no**'} |")
    return "\n".join(lines) + "\n"


def targets(results: dict) -> list[tuple[str, str, bool]]:
    rounds = results["rounds"]
    rows = []
    for name, what in (("service create", "creates/s"), ("service cycle", "create -> reveal cycles/s")):
        ref = name.replace("service", "snappass")
        ratio = _ratio(rounds, name, ref)
        rows.append(
            (
                f"{what} on the original routes ≥ {SNAPPASS_TARGET} x snappass",
                f"{ratio:.2f} x",
                ratio >= SNAPPASS_TARGET,
            )
        )
    p99 = _summary(rounds, "service cycle")["p99_ms"]
    rows.append((f"cycle p99 ≤ {CYCLE_P99_MS} ms at concurrency 2", f"{p99:.1f} ms", p99 <= CYCLE_P99_MS))
    own = _own(rounds)
    rows.append(
        (
            f"own-passphrase creates/s {OWN_LOW}-{OWN_HIGH} x a bare scrypt 2^17 pool",
            f"{own['ratio']:.2f} x",
            OWN_LOW <= own["ratio"] <= OWN_HIGH,
        )
    )
    if results.get("slow"):
        r = results["slow"]
        whole = r["downloads_ok"] == r["downloads"] and r["uploads_ok"] == r["uploads"] and r["spent_once"]
        rows.append(
            (
                "slow transfers past GUNICORN_TIMEOUT complete byte-identical, each secret spent once",
                f"{r['downloads_ok']}/{r['downloads']} down, {r['uploads_ok']}/{r['uploads']} up,"
                f" {r['worker_timeouts']} worker timeouts",
                whole and r["worker_timeouts"] == 0,
            )
        )
        slowest = max(r["create_max_ms"], r["healthz_max_ms"])
        rows.append(
            (
                f"creates and /healthz meanwhile answer within {PROBE_MS} ms",
                f"slowest {slowest:.0f} ms, {r['failed_probes']} failed",
                slowest <= PROBE_MS and r["failed_probes"] == 0,
            )
        )
    if results.get("misses"):
        for op, kinds in results["misses"]["spread"].items():
            for kind, spread in kinds.items():
                rows.append(
                    (
                        f"{op} misses, {kind} passphrase: medians within {MISS_SPREAD:.0%}",
                        f"{spread:.1%}",
                        spread <= MISS_SPREAD,
                    )
                )
    routes = _route_summary(rounds)
    for name, r in routes.items():
        if name.startswith("service"):
            rows.append(
                (f"{name} ≥ {ROUTE_TARGET} x minimal DRF", f"{r['ratio']:.2f} x", r["ratio"] >= ROUTE_TARGET)
            )
    for key, backend in (("payloads", "local"), ("aws_payloads", "aws")):
        if not results.get(key):
            continue
        big = results[key][-1]
        name = size_name(big["size"])
        for way in ("up", "down"):
            mb_s, rss = big[f"{way}_mb_s"], big[f"{way}_peak_rss_mib"]
            if backend == "local":  # the aws backend's target is the memory bound only
                rows.append(
                    (
                        f"{name} {way}load ≥ {FILE_MB_S_TARGET} MB/s, local",
                        f"{mb_s:.0f} MB/s ({cpu_rate(big, way)} MB per worker CPU-s)",
                        mb_s >= FILE_MB_S_TARGET,
                    )
                )
            rows.append(
                (
                    f"{name} {way}load worker peak RSS ≤ {FILE_RSS_TARGET} MiB, {backend}",
                    f"{rss:.0f} MiB",
                    rss <= FILE_RSS_TARGET,
                )
            )
    return rows


# -- the chart -------------------------------------------------------------------------


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    rounds = results["rounds"]
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    fig.suptitle(f"pysecrets benchmark, {results['machine']['nproc']} cores ({results['machine']['cpu']})")

    ax = axes[0][0]
    labels = ["creates/s", "cycles/s"]
    xs = range(len(labels))
    for offset, who in ((-0.2, "service"), (0.2, "snappass")):
        values = [_summary(rounds, f"{who} {what}")["rate"] for what in ("create", "cycle")]
        ax.bar([x + offset for x in xs], values, 0.4, label="pysecrets" if who == "service" else who)
    ax.set_xticks(list(xs), labels)
    ax.set(title="Original routes beside snappass (median of rounds)", ylabel="per second")
    ax.legend()

    ax = axes[0][1]
    routes = _route_summary(rounds)
    names = list(routes)
    ax.barh(names, [routes[n]["ratio"] for n in names], color="tab:green")
    ax.axvline(ROUTE_TARGET, color="tab:red", linestyle="--", label=f"target {ROUTE_TARGET}")
    ax.set(title="Routes without a derivation, x minimal DRF view", xlabel="ratio (median of rounds)")
    ax.invert_yaxis()
    ax.legend()

    ax = axes[1][0]
    missed = results.get("misses")
    if missed:
        groups = [(op, kind) for op, kinds in missed["medians_ms"].items() for kind in kinds]
        cases = list(missed["medians_ms"][groups[0][0]][groups[0][1]])
        width = 0.8 / len(cases)
        for i, case in enumerate(cases):
            values = [missed["medians_ms"][op][kind][case] for op, kind in groups]
            ax.bar(
                [g + (i - (len(cases) - 1) / 2) * width for g in range(len(groups))],
                values,
                width,
                label=case,
            )
        ax.set_xticks(range(len(groups)), [f"{op}\n{kind}" for op, kind in groups])
        ax.set_yscale("log")
        ax.legend(fontsize="small")
    ax.set(title="What a miss costs (median ms, log)", ylabel="ms")

    ax = axes[1][1]
    payloads = results.get("payloads") or []
    if payloads:
        labels = [size_name(row["size"]) for row in payloads]
        xs = range(len(payloads))
        ax.bar([x - 0.2 for x in xs], [row["up_mb_s"] for row in payloads], 0.4, label="upload MB/s")
        ax.bar([x + 0.2 for x in xs], [row["down_mb_s"] for row in payloads], 0.4, label="download MB/s")
        ax.axhline(FILE_MB_S_TARGET, color="tab:red", linestyle="--", label=f"target {FILE_MB_S_TARGET} MB/s")
        ax.set_xticks(list(xs), labels)
        rss = ax.twinx()
        peaks = [max(row["up_peak_rss_mib"], row["down_peak_rss_mib"]) for row in payloads]
        rss.plot(list(xs), peaks, "ko-")
        rss.set_ylabel("worker peak RSS MiB (dots)")
        rss.set_ylim(0, max(peaks) * 1.3)
        ax.legend(loc="center left")
    ax.set(title="File secrets through HTTP, local backend", xlabel="size", ylabel="MB/s")

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
