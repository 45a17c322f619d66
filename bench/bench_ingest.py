"""Callback ingest on one pinned core (issue 21): a bare ASGI app, the previous relay, this one.

Usage: .venv/bin/python bench/bench_ingest.py [--seconds 10] [--turns 3] [--previous 950c80c]
       [--steps COMMIT,COMMIT,...]

Three servers, each pinned to CPU 0 with taskset (the relay's writer thread with it), loaded in
turn by wrk pinned to CPU 1 (`-t1 -c32`, bench/ingest_wrk.lua: paid callbacks, each for its own
seeded push):
- a bare ASGI app answering the acknowledgement on the same uvicorn setup (uvloop, httptools);
- the previous commit's relay: `git archive` of that commit into a temporary folder, run with
  PYTHONPATH pointing at it and this virtualenv's Python;
- this checkout's relay;
- with `--steps`, the relay at each of those commits too (extracted the same way), each shown
  against the one before it: what each change gained, in the same run.
Both relays are seeded alike by their own code (bench/ingest_seed.py), serve with the same
settings (SQLite WAL, synchronous=FULL, access log off; confirming queries due after the run, so
a callback marks its payment paid), and take turns of `--seconds` with the bare app, so the
load other programs put on the shared machine falls on all three alike. Afterwards every
acknowledged callback must be found paid in its relay's store. Each server's CPU time over its
turns (user + system, every thread, from /proc) is shown per answered request too: on a core
shared with other programs the rates follow how much of it each turn got, the CPU cost per
request much less.
Needs wrk (apt-get install wrk). Not a test: figures depend on the machine; ratios are the point.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench_relay import RELAY_ENV
from relay_load import MINIMAL_APP
from relay_report import Row, pinned_bench

from server_stub.operations.settings import load_settings
from server_stub.testing import relay_environment

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SERVER_CPU, LOAD_CPU = "0", "1"
CONNECTIONS = 32
PAUSE_S = 1.0
# The confirming query is due after the run: ingest alone (bench_access.py measures it on).
INGEST_ENV = {**RELAY_ENV, "RELAY_CONFIRM_FIRST_S": "86400"}


@dataclass
class Target:
    """One server under load, its callbacks and what each turn measured."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    pushes: list[str]
    db: Path | None = None
    sent: int = 0
    turns: list[dict[str, int]] = field(default_factory=list)
    cpu_s: float = 0.0  # the server's CPU time over its turns

    @property
    def cpu_us(self) -> float:
        """CPU microseconds per answered request over all turns."""
        answered = sum(turn["requests"] for turn in self.turns)
        return 1e6 * self.cpu_s / answered if answered else 0.0

    @property
    def acknowledged(self) -> int:
        """Requests answered 2xx over all turns."""
        return sum(turn["requests"] - turn["status"] for turn in self.turns)

    @property
    def errors(self) -> int:
        """Non-2xx answers and socket errors over all turns."""
        kinds = ("connect", "read", "write", "status", "timeout")
        return sum(turn[kind] for turn in self.turns for kind in kinds)

    @property
    def rate(self) -> float:
        """Acknowledged callbacks per second over all turns."""
        seconds = sum(turn["duration_us"] for turn in self.turns) / 1e6
        return self.acknowledged / seconds if seconds else 0.0

    def turn_rates(self) -> list[float]:
        """Each turn's rate."""
        return [t["requests"] / (t["duration_us"] / 1e6) for t in self.turns]


def previous_checkout(commit: str, folder: Path) -> Path:
    """The previous commit's files (no history), extracted with git archive."""
    target = folder / f"relay-{commit}"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def seeded_relay(
    name: str,
    folder: Path,
    pushes: int,
    code: Path | None,
    settings: dict[str, str] | None = None,
    before_serving: Callable[[dict[str, str], list[str]], None] | None = None,
) -> Target:
    """A relay store seeded by the relay's own code, then the relay serving it on CPU 0.

    `settings` add to (or override) the relay's environment; `before_serving` is given the
    environment and the callback lines once the store is seeded (bench_access.py's settings).
    """
    data = folder / name.replace(" ", "-")
    env = relay_environment(data, {**INGEST_ENV, **(settings or {})})
    paths_file = folder / f"{data.name}.paths"
    seed_with(code, env, folder, "ingest_seed.py", str(pushes), str(paths_file))
    lines = paths_file.read_text().splitlines()
    if before_serving is not None:
        before_serving(env, lines)
    command = [sys.executable, "-m", "server_stub", "serve", "--host", "127.0.0.1", "--port", "0"]
    process, url = start_pinned(command, env, folder, data.with_suffix(".log"))
    db = load_settings(env).database_path
    return Target(name, url, process, lines, db)


def bare_app(folder: Path, pushes: list[str]) -> Target:
    """The minimal ASGI app of relay_load.py on CPU 0."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    process, url = start_pinned(
        [sys.executable, "-c", MINIMAL_APP], env, folder, folder / "bare.log"
    )
    return Target("bare ASGI app (uvicorn, same setup)", url, process, pushes)


def seed_with(
    code: Path | None, env: dict[str, str], folder: Path, script: str, *args: str
) -> None:
    """Run a bench seeding script with the relay code at `code` (None: this checkout), and
    leave `env` pointing at that code for the relay that serves the store."""
    env.pop("PYTHONPATH", None)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        env=env,
        cwd=folder,  # not this checkout: `python -m` puts the working folder first on sys.path
        check=True,
    )


def start_pinned(
    command: list[str], env: dict[str, str], cwd: Path, log: Path, cpu: str = SERVER_CPU
) -> tuple[subprocess.Popen[bytes], str]:
    """A server pinned to `cpu`, once its first line says where it listens."""
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            ["taskset", "-c", cpu, *command],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=log_file,
        )
    assert process.stdout is not None
    line = process.stdout.readline().decode()  # the server's first line, once it is ready
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"{command[-1]} did not start: {log.read_text()[-2000:]}")
    return process, line.removeprefix("listening on ").strip()


def load_turn(target: Target, folder: Path, seconds: float) -> None:
    """One wrk run on CPU 1 against `target`, with callbacks not sent before."""
    # The bare app ignores what it is sent: its callbacks may repeat.
    remaining = target.pushes[target.sent :] if target.db else target.pushes
    if len(remaining) < 1000:
        raise RuntimeError(f"{target.name}: out of seeded pushes; raise --expected-rate")
    turn_file = folder / "turn.paths"
    turn_file.write_text("\n".join(remaining) + "\n")
    cpu_before = cpu_seconds(target.process.pid)
    done = subprocess.run(
        ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s",
         "--timeout", "10s", "-s", str(BENCH / "ingest_wrk.lua"), target.url + "/",
         "--", str(turn_file)],
        capture_output=True,
        check=True,
    )  # fmt: skip
    target.cpu_s += cpu_seconds(target.process.pid) - cpu_before
    output = done.stdout.decode()
    line = next(ln for ln in output.splitlines() if ln.startswith("WRK-RESULT "))
    result: dict[str, int] = json.loads(line.removeprefix("WRK-RESULT "))
    if target.db and result["requests"] + CONNECTIONS > len(remaining):
        raise RuntimeError(f"{target.name}: pushes repeated; raise --expected-rate")
    # Requests still in flight when wrk stopped were sent too: never send those pushes again.
    target.sent += result["requests"] + CONNECTIONS
    target.turns.append(result)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def paid_in_store(db: Path) -> int:
    """Bench pushes the store shows paid."""
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM payments WHERE status = 'paid' "
            "AND checkout_request_id LIKE 'ws_CO_BENCH_%'"
        ).fetchone()
    return int(count)


def rows_for(bare: Target, previous: Target, steps: list[Target], current: Target) -> list[Row]:
    """One row per server; each relay's ratio to the bare app and to the relay before it."""
    rows = []
    before: Target | None = None
    for target in (bare, previous, *steps, current):
        p50 = statistics.median(turn["p50_us"] for turn in target.turns) / 1000
        p99 = max(turn["p99_us"] for turn in target.turns) / 1000
        rates = ", ".join(f"{rate:,.0f}" for rate in target.turn_rates())
        measured = (
            f"{target.rate:,.0f}/s (turns {rates}), p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"{target.errors} errors; CPU {target.cpu_us:.0f} us a request"
        )
        target_text, met = "", None
        if target.db is not None:
            paid = paid_in_store(target.db)
            durable = target.acknowledged <= paid <= target.sent
            measured += f"; {target.acknowledged:,} acknowledged, {paid:,} paid in the store"
            measured += f"; / bare = {target.rate / bare.rate:.3f}"
            measured += f" (by CPU per request {bare.cpu_us / target.cpu_us:.3f})"
            if before is not None and before is not previous:
                measured += f"; / the step before = {target.rate / before.rate:.2f}"
                measured += f" (by CPU per request {before.cpu_us / target.cpu_us:.2f})"
            if target is not previous:
                measured += f"; / previous = {target.rate / previous.rate:.2f}"
                measured += f" (by CPU per request {previous.cpu_us / target.cpu_us:.2f})"
            if target is current:
                ratio = current.rate / previous.rate
                target_text = ">= 2.5x previous, >= 0.20 of bare, p99 <= 50 ms, 0 errors"
                met = (
                    ratio >= 2.5
                    and current.rate >= 0.2 * bare.rate
                    and p99 <= 50
                    and target.errors == 0
                    and durable
                )
            elif not durable or target.errors:
                met = False
            before = target
        rows.append(Row(target.name, measured, target_text, met))
    return rows


def run(args: argparse.Namespace, folder: Path) -> list[Row]:
    """Seed and start the servers, load them in alternating turns, check the stores."""
    pushes = int(args.expected_rate * args.seconds * args.turns)
    targets: list[Target] = []
    try:
        code = previous_checkout(args.previous, folder)
        previous = seeded_relay(f"relay at {args.previous} (previous)", folder, pushes, code)
        targets.append(previous)
        steps = []
        for commit in filter(None, args.steps.split(",")):
            code = previous_checkout(commit, folder)
            steps.append(seeded_relay(f"relay at {commit}", folder, pushes, code))
            targets.append(steps[-1])
        current = seeded_relay("relay, this checkout", folder, pushes, None)
        targets.append(current)
        bare = bare_app(folder, current.pushes)
        targets.append(bare)
        print(f"seeded {pushes:,} pushes per relay; {args.turns} turns", file=sys.stderr)
        for turn in range(args.turns):
            for target in (bare, previous, *steps, current):
                load_turn(target, folder, args.seconds)
                print(f"turn {turn + 1}: {target.name} {target.turn_rates()[-1]:,.0f}/s",
                      file=sys.stderr)  # fmt: skip
                time.sleep(PAUSE_S)
    finally:
        for target in targets:
            target.process.terminate()
            target.process.wait()
    return rows_for(bare, previous, steps, current)


def main() -> int:
    """Parse options, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="each turn")
    parser.add_argument("--turns", type=int, default=3, help="turns per server")
    parser.add_argument("--previous", default="950c80c", help="the commit to compare with")
    parser.add_argument("--steps", default="", help="commits in between, comma-separated")
    parser.add_argument(
        "--expected-rate", type=float, default=5000, help="callbacks/s to seed pushes for"
    )
    args = parser.parse_args()
    return pinned_bench("bench-ingest-", lambda folder: run(args, folder))


if __name__ == "__main__":
    sys.exit(main())
