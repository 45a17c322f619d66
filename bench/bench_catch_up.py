"""A new desk catching up: its first start against a relay with 100,000 payments (issue 21).

Usage: .venv/bin/python bench/bench_catch_up.py [--payments 100000] [--rounds 3]
       [--previous 0ba76a9]

One relay (this checkout's, seeded as in bench_payments_page.py) serves every start. Each start
is a fresh process running the real counter pages offscreen with no local copy, so it reads the
relay's snapshot, fills the book and the table, and saves its local copy. The desktop code
alternates, round after round, between the previous commit's (`git archive` into a temporary
folder, put first on PYTHONPATH) and this checkout's, so that the other work on a shared machine
falls on both alike. Printed per desk: wall time until all payments are shown and until the feed
is live, when the first rows were on screen, and the CPU seconds the desk's process spent on the
catch-up (less sensitive to other load than wall time). Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_payments_page import new_provider, seed

from server_stub.daraja_sim.testing import running_simulator
from server_stub.testing import running_relay

ROOT = Path(__file__).resolve().parent.parent
PAGE_BENCH = Path(__file__).resolve().parent / "bench_payments_page.py"


def previous_checkout(commit: str, folder: Path) -> Path:
    """The desktop package of `commit`, extracted with git archive."""
    target = folder / f"desk-{commit}"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "bucket_desktop"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def first_start(job: dict[str, Any], workdir: Path, code: Path | None) -> dict[str, Any]:
    """One first start in a fresh process; `code` first on its path (None: this checkout)."""
    job_file = workdir / "job.json"
    job_file.write_text(json.dumps(job))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    done = subprocess.run(
        [sys.executable, str(PAGE_BENCH), "--phase", str(job_file)],
        capture_output=True, text=True, timeout=600, check=False, env=env, cwd=workdir,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def summary(name: str, starts: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the starts of one desk, with each start's full time."""
    shown = [start["load"][0] for start in starts]
    return {
        "name": name,
        "shown": statistics.median(shown),
        "each": shown,
        "live": statistics.median(start["load"][1] for start in starts),
        "first_rows_ms": statistics.median(start["load"][2] * 1000 for start in starts),
        "cpu": statistics.median(start["cpu"] for start in starts),
        "peak_mb": max(start["rss"][1] for start in starts),
    }


def report(count: int, previous: dict[str, Any], current: dict[str, Any]) -> None:
    """Markdown rows for BENCHMARKS.md."""
    load = os.getloadavg()[0]
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {load:.1f} at the end")  # fmt: skip
    print(f"| first start, no local copy, {count:,} payments | {previous['name']} | "
          f"{current['name']} | after / before |")  # fmt: skip
    print("|---|---|---|---|")
    rows = (
        ("all shown, median (each start)", "shown", "s"),
        ("feed live, median", "live", "s"),
        ("first rows on screen, median", "first_rows_ms", "ms"),
        ("CPU of the desk's process during the catch-up, median", "cpu", "s"),
    )
    for label, key, unit in rows:
        before, after = previous[key], current[key]
        digits = 0 if unit == "ms" else 2
        cells = [f"{before:.{digits}f} {unit}", f"{after:.{digits}f} {unit}"]
        if key == "shown":
            cells = [f"{cells[0]} ({', '.join(f'{s:.2f}' for s in previous['each'])})",
                     f"{cells[1]} ({', '.join(f'{s:.2f}' for s in current['each'])})"]  # fmt: skip
        print(f"| {label} | {cells[0]} | {cells[1]} | {after / before:.2f} |")
    peaks = f"{previous['peak_mb']:.0f} MB | {current['peak_mb']:.0f} MB"
    print(f"| peak resident memory | {peaks} | |")


def main() -> int:
    """Seed one relay, then alternate the two desks' first starts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--previous", default="0ba76a9", help="the desktop commit to compare")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp, running_simulator() as sim:
        workdir = Path(temp)
        old_code = previous_checkout(args.previous, workdir)
        env = {"DARAJA_BASE_URL": sim.base_url, "RELAY_RECONCILE_FIRST_S": "60"}
        with running_relay(workdir, env=env) as relay:
            provider = new_provider(relay)
            db = workdir / "relay" / "relay.db"
            seed(db, int(provider["provider_id"]), args.payments)
            job = {
                "relay": relay.base_url,
                "token": provider["attendant_token"],
                "db": str(db),
                "count": args.payments,
                "phase": "cold",
            }
            starts: dict[str, list[dict[str, Any]]] = {"previous": [], "current": []}
            for turn in range(args.rounds):
                for name, code in (("previous", old_code), ("current", None)):
                    cache = workdir / f"app-{name}-{turn}"  # no local copy: a new desk
                    found = first_start({**job, "cache_dir": str(cache)}, workdir, code)
                    starts[name].append(found)
                    print(f"round {turn + 1}, {name}: all shown in {found['load'][0]:.2f} s, "
                          f"CPU {found['cpu']:.2f} s", file=sys.stderr)  # fmt: skip
    report(
        args.payments,
        summary(f"before ({args.previous})", starts["previous"]),
        summary("after (this checkout)", starts["current"]),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
