"""The results table of bench_relay.py: one row per scenario, measured against issue 5."""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from relay_load import Run
from relay_seed import FEED_PAYMENTS

BURST = 5_000


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    measured: str
    target: str
    met: bool | None
    counts: bool = True  # False: shown for scale, not one of issue 5's targets


def ingest_rows(run: Run, base: Run, durable: int) -> list[Row]:
    """Rows for the ingest run and its baseline."""
    ratio = run.rate / base.rate if base.rate else float("nan")
    met = run.rate >= 2000 and run.percentile_ms(99) <= 50 and run.errors == 0
    return [
        Row(
            "callback ingest (32 senders)",
            f"{run.rate:,.0f}/s, p50 {run.median_ms():.1f} ms, p99 {run.percentile_ms(99):.1f} ms"
            f", {run.errors} errors, {durable:,}/{run.ok:,} acks found paid in the store",
            ">= 2,000/s, p99 <= 50 ms, 0 errors",
            met and durable == run.ok,
        ),
        Row(
            "minimal ASGI app, same load",
            f"{base.rate:,.0f}/s, p99 {base.percentile_ms(99):.1f} ms; relay/minimal = {ratio:.2f}",
            "(generator ceiling)",
            None,
        ),
    ]


def burst_row(run: Run, durable: int, growth: float, peak: float) -> Row:
    """The row for the burst."""
    lost = run.ok - durable
    return Row(
        f"burst ({BURST:,} from 128 senders)",
        f"{run.ok:,} acked, {run.errors} refused, {lost} lost, p99 "
        f"{run.percentile_ms(99):.1f} ms, RSS +{growth:.1f} MB (peak {peak:.0f} MB)",
        "none lost, p99 <= 250 ms, < 100 MB growth",
        lost == 0 and run.percentile_ms(99) <= 250 and growth < 100,
    )


def feed_row(run: Run, primary: bool) -> Row:
    """The row for one feed run."""
    met = run.rate >= 2000 and run.percentile_ms(99) <= 20 and run.errors == 0
    return Row(
        run.name + " (32 readers)",
        f"{run.rate:,.0f} req/s, p50 {run.median_ms():.1f} ms, p99 {run.percentile_ms(99):.1f} ms"
        f", {run.errors} errors",
        ">= 2,000 req/s, p99 <= 20 ms" if primary else "(shown for scale)",
        met,
        counts=primary,
    )


def catch_up_rows(snapshot: Run, pages: Run) -> list[Row]:
    """Rows for the whole-history reads: the snapshot against the 500-item pages."""
    ratio = pages.median_ms() / snapshot.median_ms() if snapshot.latencies else float("nan")
    return [
        Row(
            f"catch-up: {FEED_PAYMENTS:,} payments by one snapshot ({snapshot.ok} reads)",
            f"median {snapshot.median_ms() / 1000:.2f} s, best "
            f"{min(snapshot.latencies, default=0):.2f} s, {snapshot.errors} incomplete",
            "<= 2 s",
            snapshot.errors == 0 and snapshot.median_ms() <= 2000,
        ),
        Row(
            f"catch-up: the same by 500-item pages ({pages.ok} reads, alternated)",
            f"median {pages.median_ms() / 1000:.2f} s, best {min(pages.latencies, default=0):.2f} s"
            f"; pages / snapshot = {ratio:.1f}",
            "(the way before, same run)",
            None,
        ),
    ]


def e2e_row(run: Run) -> Row:
    """The row for the end-to-end run."""
    return Row(
        f"end to end ({run.ok} pushes)",
        f"p50 {run.median_ms():.1f} ms, p95 {run.percentile_ms(95):.1f} ms, max "
        f"{max(run.latencies, default=0) * 1000:.1f} ms, {run.errors} missing",
        "p95 <= 250 ms",
        run.errors == 0 and run.percentile_ms(95) <= 250,
    )


def print_table(rows: list[Row]) -> None:
    """Markdown table, ready for BENCHMARKS.md."""
    print("| scenario | measured | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        print(f"| {row.scenario} | {row.measured} | {row.target} | {met} |")


def machine() -> str:
    """One line about the machine and the software."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, uvicorn {uvicorn.__version__}, "
        f"{platform.system()} {platform.release()}; load average before the run {load:.2f}"
    )


def pinned_bench(prefix: str, run: Callable[[Path], list[Row]], *, pinned: bool = True) -> int:
    """The end every wrk-driven bench shares: its tools checked, `run` in a throwaway folder,
    the machine and the table printed; exit status 1 when a target is missed."""
    if pinned and (shutil.which("wrk") is None or shutil.which("taskset") is None):
        print("This bench needs wrk and taskset: apt-get install wrk util-linux", file=sys.stderr)
        return 2
    about = machine()
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        rows = run(Path(folder))
    print(f"Machine: {about}")
    print_table(rows)
    return 0 if all(row.met is not False for row in rows) else 1
