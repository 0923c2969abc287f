"""
What the run prints as it goes, and the markdown table and PNG chart it
writes at the end. Ratios are taken within a round (the service against the
pool or the minimal view measured minutes apart at most), then their median
across rounds is reported.
"""

from __future__ import annotations

import statistics
from pathlib import Path

ROUTE_TARGET, KDF_TARGET, P99_TARGET = 0.6, 0.9, 1.5
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


def overhead_ms(row: dict, op: str, workers: int, cores: int) -> float:
    """A worker's time for one request beyond its derivation, from the rates at a small N."""
    return 1000 * (workers / row[op]["rate"] - cores / row["pool"]) if row[op]["rate"] else float("nan")


def n_name(n: int) -> str:
    return f"2^{n.bit_length() - 1}"


def routes_of(rounds: list[dict]) -> list[str]:
    return [name for name in rounds[0] if name.startswith(("minimal ", "service ", "snappass /"))]


# -- as it goes -------------------------------------------------------------------


def print_round(r: dict) -> None:
    kdf = r["kdf"]
    print(
        f"round {r['round']}: scrypt pool {kdf['pool']:.1f}/s | create {kdf['create']['rate']:.1f}/s"
        f" ({kdf['create']['rate'] / kdf['pool']:.2f}x, p99 {kdf['create']['p99_ms']:.0f} ms)"
        f" | reveal {kdf['reveal']['rate']:.1f}/s ({kdf['reveal']['rate'] / kdf['pool']:.2f}x,"
        f" p99 {kdf['reveal']['p99_ms']:.0f} ms) | worker peak {kdf['peak_rss_mib']:.0f} MiB",
        flush=True,
    )
    base = r["minimal /"]["rate"]
    parts = [f"{name} {r[name]['rate']:.0f}/s ({r[name]['rate'] / base:.2f}x)" for name in routes_of([r])]
    print(f"  routes: {' | '.join(parts)} | snappass create {r['snappass create']['rate']:.0f}/s", flush=True)


def print_sweep_row(row: dict) -> None:
    print(
        f"N={n_name(row['n'])}: one derivation {row['one_ms']:.0f} ms, pool {row['pool']:.1f}/s,"
        f" create {row['create']['rate']:.1f}/s ({row['create']['rate'] / row['pool']:.2f}x),"
        f" reveal {row['reveal']['rate']:.1f}/s ({row['reveal']['rate'] / row['pool']:.2f}x),"
        f" worker peak {row['peak_rss_mib']:.0f} MiB",
        flush=True,
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


def _kdf_summary(rounds: list[dict]) -> dict:
    kdf = [r["kdf"] for r in rounds]
    out = {"pool": median(k["pool"] for k in kdf), "peak_rss_mib": max(k["peak_rss_mib"] for k in kdf)}
    for op in ("create", "reveal"):
        out[op] = {
            "rate": median(k[op]["rate"] for k in kdf),
            "ratio": median(k[op]["rate"] / k["pool"] for k in kdf),
            "p50_ms": median(k[op]["p50_ms"] for k in kdf),
            "p99_ms": median(k[op]["p99_ms"] for k in kdf),
            "errors": sum(k[op]["errors"] for k in kdf),
        }
    return out


def _route_summary(rounds: list[dict]) -> dict:
    out = {}
    for name in ["minimal /", *[n for n in routes_of(rounds) if n != "minimal /"]]:
        out[name] = {
            "rate": median(r[name]["rate"] for r in rounds),
            "ratio": median(r[name]["rate"] / r["minimal /"]["rate"] for r in rounds),
            "p50_ms": median(r[name]["p50_ms"] for r in rounds),
            "p99_ms": median(r[name]["p99_ms"] for r in rounds),
            "peak_rss_mib": max(r[name]["peak_rss_mib"] for r in rounds),
            "errors": sum(r[name]["errors"] for r in rounds),
        }
    return out


def payload_table(rows: list[dict], backend: str) -> list[str]:
    lines = [
        "",
        f"### Payload sweep: a file secret up and down through HTTP, {backend} backend",
        "",
        "MB/s counts the whole request (a key derivation included); MB per CPU-s is the same bytes"
        " over the CPU time the worker used, which other load on the machine does not inflate.",
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
    one_ms = one_derivation_ms(results)
    kdf, routes = _kdf_summary(rounds), _route_summary(rounds)
    cores = m["nproc"]
    pool_ms = 1000 * cores / kdf["pool"]  # one derivation's time while `cores` run side by side
    lines = [
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']},"
        f" Python {m['python']}; load average {m['load_average_start'][0]:.2f} at start,"
        f" {m['load_average_end'][0]:.2f} at end.",
        f"Run: {s['rounds']} rounds{' (quick)' if s['quick'] else ''}, {s['workers']} sync workers a target,"
        f" {s['kdf_seconds']} s a key-derivation phase, {s['route_seconds']} s a route;"
        f" took {results['seconds']:.0f} s.",
        "",
        f"### Key derivation at N=2^15 (medians of {len(rounds)} rounds; concurrency = {cores})",
        "",
        f"One derivation alone: {one_ms:.0f} ms; with {cores} side by side: {pool_ms:.0f} ms.",
        "",
        "| | per second | x scrypt pool | p50 ms | p99 ms | p99 / one derivation | p99 / side by side"
        " | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| bare scrypt, pool of {cores} processes | {kdf['pool']:.1f} | 1.00 | | | | | |",
    ]
    for op in ("create", "reveal"):
        k = kdf[op]
        lines.append(
            f"| service {op} | {k['rate']:.1f} | {k['ratio']:.2f} | {k['p50_ms']:.0f} | {k['p99_ms']:.0f}"
            f" | {k['p99_ms'] / one_ms:.2f} | {k['p99_ms'] / pool_ms:.2f} | {k['errors']} |"
        )
    snap = [r["snappass create"] for r in rounds]
    lines += [
        f"| snappass create (no key derivation) | {median(x['rate'] for x in snap):.0f} | | "
        f"{median(x['p50_ms'] for x in snap):.1f} | {median(x['p99_ms'] for x in snap):.1f} | | | "
        f"{sum(x['errors'] for x in snap)} |",
        "",
        f"Service worker peak RSS under create and reveal: {kdf['peak_rss_mib']:.0f} MiB.",
        "",
        f"### Routes without a key derivation (medians; {2 * s['workers']} connections)",
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
        "### Per round",
        "",
        "| round | pool/s | create/s | x pool | reveal/s | x pool | minimal DRF /s | service / /s"
        " | x minimal |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rounds:
        k, base, page = r["kdf"], r["minimal /"]["rate"], r["service /"]["rate"]
        create, reveal = k["create"]["rate"], k["reveal"]["rate"]
        lines.append(
            f"| {r['round']} | {k['pool']:.1f} | {create:.1f} | {create / k['pool']:.2f} | {reveal:.1f}"
            f" | {reveal / k['pool']:.2f} | {base:.0f} | {page:.0f} | {page / base:.2f} |"
        )
    if results.get("n_sweep"):
        lines += [
            "",
            "### scrypt N sweep (one round each)",
            "",
            "| N | one derivation ms | pool/s | create/s | x pool | reveal/s | x pool | create p99 ms"
            " | reveal p99 ms | worker peak RSS MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in results["n_sweep"]:
            c, v = row["create"], row["reveal"]
            lines.append(
                f"| {n_name(row['n'])} | {row['one_ms']:.1f} | {row['pool']:.1f} | {c['rate']:.1f}"
                f" | {c['rate'] / row['pool']:.2f} | {v['rate']:.1f} | {v['rate'] / row['pool']:.2f}"
                f" | {c['p99_ms']:.0f} | {v['p99_ms']:.0f} | {row['peak_rss_mib']:.0f} |"
            )
    cheap = next((row for row in results.get("n_sweep", []) if row["n"] == 2**10), None)
    if cheap:
        costs = [overhead_ms(cheap, op, s["workers"], cores) for op in ("create", "reveal")]
        lines += [
            "",
            f"At N=2^10 a derivation is short, so (workers / rate) - (cores / pool rate) is what the rest"
            f" of a request costs a worker: {costs[0]:.1f} ms a create, {costs[1]:.1f} ms a reveal, beside"
            f" {one_ms:.0f} ms for one derivation at N=2^15.",
        ]
    for key, backend in (("payloads", "local"), ("aws_payloads", "aws")):
        if results.get(key):
            lines += payload_table(results[key], backend)
    lines += ["", "### Targets", "", "| target | measured | met |", "|---|---|---|"]
    for name, measured, met in targets(results, kdf, routes):
        lines.append(f"| {name} | {measured} | {'yes' if met else '**no**'} |")
    return "\n".join(lines) + "\n"


def one_derivation_ms(results: dict) -> float:
    """One derivation alone at N=2^15: the median of the rounds' own measurements, if they made one."""
    per_round = [r["kdf"]["one_ms"] for r in results["rounds"] if "one_ms" in r["kdf"]]
    return median(per_round) if per_round else results["one_derivation_ms"]


def targets(results: dict, kdf: dict, routes: dict) -> list[tuple[str, str, bool]]:
    one_ms = one_derivation_ms(results)
    rows = []
    for op in ("create", "reveal"):
        ratio = kdf[op]["ratio"]
        rows.append((f"{op}/s ≥ {KDF_TARGET} x scrypt pool", f"{ratio:.2f} x", ratio >= KDF_TARGET))
    for op in ("create", "reveal"):
        ratio = kdf[op]["p99_ms"] / one_ms
        rows.append(
            (
                f"{op} p99 ≤ {P99_TARGET} x one derivation",
                f"{kdf[op]['p99_ms']:.0f} ms = {ratio:.2f} x",
                ratio <= P99_TARGET,
            )
        )
    for name, r in routes.items():
        if name.startswith("service"):
            rows.append(
                (f"{name} ≥ {ROUTE_TARGET} x minimal DRF", f"{r['ratio']:.2f} x", r["ratio"] >= ROUTE_TARGET)
            )
    if "snappass /" in routes:
        rows.append(("snappass / (reference, not a target)", f"{routes['snappass /']['ratio']:.2f} x", True))
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
    numbers = [r["round"] for r in rounds]
    width = 0.27
    for offset, (label, values) in enumerate(
        [
            ("scrypt pool", [r["kdf"]["pool"] for r in rounds]),
            ("create", [r["kdf"]["create"]["rate"] for r in rounds]),
            ("reveal", [r["kdf"]["reveal"]["rate"] for r in rounds]),
        ]
    ):
        ax.bar([n + (offset - 1) * width for n in numbers], values, width, label=label)
    ax.set(title="Key derivation, N=2^15: per second, each round", xlabel="round", ylabel="per second")
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
    sweep = results.get("n_sweep") or []
    if sweep:
        labels = [n_name(row["n"]) for row in sweep]
        xs = range(len(sweep))
        for offset, (label, values) in enumerate(
            [
                ("scrypt pool", [row["pool"] for row in sweep]),
                ("create", [row["create"]["rate"] for row in sweep]),
                ("reveal", [row["reveal"]["rate"] for row in sweep]),
            ]
        ):
            ax.bar([x + (offset - 1) * width for x in xs], values, width, label=label)
        ax.set_xticks(list(xs), labels)
        ax.set_yscale("log")
        ax.legend()
    ax.set(title="scrypt N sweep", xlabel="N", ylabel="per second (log)")

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
