"""Full 100-item feed pages on one pinned core (issue 21): a bare ASGI app, the previous relay,
this one.

Usage: .venv/bin/python bench/bench_feed_pages.py [--seconds 10] [--turns 3] [--previous COMMIT]
       [--payments 100000] [--limit 100]

Like bench_ingest.py: each server pinned to CPU 0 with taskset, loaded in turn by wrk pinned to
CPU 1 (`-t1 -c32`, bench/feed_wrk.lua: `GET /payments/bucket/payments/?after=R&limit=100` at
random cursors R, so every answer is a full page of 100 items, with a desk's token):
- a bare ASGI app answering a small JSON body on the same uvicorn setup (uvloop, httptools);
- the previous commit's relay (`git archive` into a temporary folder, on PYTHONPATH), with its
  store seeded by its own code (bench/feed_seed.py: a provider with 100,000 settled payments);
- this checkout's relay, seeded the same way.
Turns alternate so that other load on the shared machine falls on all alike. A turn counts
only 200 answers; any other answer or socket error is reported. Needs wrk and taskset.
Not a test: figures depend on the machine; ratios are the point.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_ingest import INGEST_ENV, LOAD_CPU, previous_checkout, seed_with, start_pinned
from relay_load import MINIMAL_APP
from relay_report import Row, pinned_bench

from server_stub.testing import relay_environment

BENCH = Path(__file__).resolve().parent
CONNECTIONS = 32
PAUSE_S = 1.0
TARGET_RATE = 2000


@dataclass
class Server:
    """One server under load and what each turn measured."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    token: str = ""
    turns: list[dict[str, int]] = field(default_factory=list)

    def rate(self) -> float:
        """Answers per second over all turns."""
        seconds = sum(turn["duration_us"] for turn in self.turns) / 1e6
        return sum(turn["requests"] for turn in self.turns) / seconds if seconds else 0.0

    def errors(self) -> int:
        """Non-200 answers and socket errors over all turns."""
        kinds = ("connect", "read", "write", "status", "timeout")
        return sum(turn[kind] for turn in self.turns for kind in kinds)


def seeded_relay(name: str, folder: Path, payments: int, code: Path | None) -> Server:
    """A relay store seeded by the relay's own code, then the relay serving it on CPU 0."""
    data = folder / name.split(" (")[0].replace(" ", "-").replace(",", "")
    env = relay_environment(data, INGEST_ENV)
    token_file = folder / f"{data.name}.token"
    seed_with(code, env, folder, "feed_seed.py", str(payments), str(token_file))
    command = [sys.executable, "-m", "server_stub", "serve", "--host", "127.0.0.1", "--port", "0"]
    process, url = start_pinned(command, env, folder, data.with_suffix(".log"))
    return Server(name, url, process, token_file.read_text().strip())


def bare_app(folder: Path) -> Server:
    """The minimal ASGI app of relay_load.py on CPU 0."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    process, url = start_pinned(
        [sys.executable, "-c", MINIMAL_APP], env, folder, folder / "bare.log"
    )
    return Server("bare ASGI app (uvicorn, same setup)", url, process, "none")


def load_turn(server: Server, seconds: float, payments: int, limit: int) -> None:
    """One wrk run on CPU 1 against `server`."""
    done = subprocess.run(
        ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s",
         "--timeout", "10s", "-s", str(BENCH / "feed_wrk.lua"), server.url + "/",
         "--", server.token, str(payments), str(limit)],
        capture_output=True,
        check=True,
    )  # fmt: skip
    line = next(ln for ln in done.stdout.decode().splitlines() if ln.startswith("WRK-RESULT "))
    server.turns.append(json.loads(line.removeprefix("WRK-RESULT ")))


def rows_for(bare: Server, previous: Server, current: Server, limit: int) -> list[Row]:
    """One row per server, with its ratio to the bare app and to the previous relay."""
    rows = []
    for server in (bare, previous, current):
        rates = ", ".join(
            f"{turn['requests'] / (turn['duration_us'] / 1e6):,.0f}" for turn in server.turns
        )
        p50 = statistics.median(turn["p50_us"] for turn in server.turns) / 1000
        p99 = max(turn["p99_us"] for turn in server.turns) / 1000
        measured = (
            f"{server.rate():,.0f}/s (turns {rates}), p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"{server.errors()} errors"
        )
        target, met = "", None
        if server is not bare:
            page_kb = sum(t["bytes"] for t in server.turns) / max(
                1, sum(t["requests"] for t in server.turns)
            )
            measured += (
                f"; {page_kb / 1024:.1f} KB a page of {limit}; / bare = "
                f"{server.rate() / bare.rate():.3f}; / previous = "
                f"{server.rate() / previous.rate():.2f}"
            )
        if server is current:
            target = f">= {TARGET_RATE:,} req/s, 0 errors"
            met = server.rate() >= TARGET_RATE and server.errors() == 0
        rows.append(Row(server.name, measured, target, met))
    return rows


def run(args: argparse.Namespace, folder: Path) -> list[Row]:
    """Seed and start the servers, load them in alternating turns."""
    servers: list[Server] = []
    try:
        code = previous_checkout(args.previous, folder)
        previous = seeded_relay(f"relay at {args.previous} (previous)", folder, args.payments, code)
        servers.append(previous)
        current = seeded_relay("relay, this checkout", folder, args.payments, None)
        servers.append(current)
        bare = bare_app(folder)
        servers.append(bare)
        for turn in range(args.turns):
            for server in (bare, previous, current):
                load_turn(server, args.seconds, args.payments, args.limit)
                last = server.turns[-1]
                print(f"turn {turn + 1}: {server.name} "
                      f"{last['requests'] / (last['duration_us'] / 1e6):,.0f}/s",
                      file=sys.stderr)  # fmt: skip
                time.sleep(PAUSE_S)
    finally:
        for server in servers:
            server.process.terminate()
            server.process.wait()
    return rows_for(bare, previous, current, args.limit)


def main() -> int:
    """Parse options, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="each turn")
    parser.add_argument("--turns", type=int, default=3, help="turns per server")
    parser.add_argument("--previous", default="0ba76a9", help="the commit to compare with")
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=100, help="items a page")
    args = parser.parse_args()
    return pinned_bench("bench-feed-", lambda folder: run(args, folder))


if __name__ == "__main__":
    sys.exit(main())
