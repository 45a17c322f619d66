"""Benchmark of the relay on PostgreSQL (issue 18): ingest with 1 and 2 instances beside SQLite.

Usage: .venv/bin/python bench/bench_postgres.py [--seconds 10] [--rounds 3] [--providers 8]
       [--samples 40]   (as root)

One run, one load generator (bench/relay_load.py, 32 keep-alive senders posting paid callbacks
for pushes spread over `--providers` providers):
- SQLite: one relay on its WAL file with synchronous=FULL;
- PostgreSQL 15 with fsync and synchronous_commit on (a throw-away cluster on loopback): one
  relay; two relays on the same database with the senders split between them as a round-robin
  load balancer does (every provider's callbacks reach both); two relays with each provider's
  callbacks sent to one of them (a balancer routing by the callback path);
- the configurations take turns, round after round (the order reversed every other round), so
  that the machine's changing load falls on all of them;
- cross-instance wake: a desk long-polls instance B while a callback is posted to instance A;
  the time from sending the callback to the desk holding the payment.
Every acknowledged callback is then looked up: it must be paid in the store. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from relay_load import ACK, Run, drive
from relay_report import machine
from relay_seed import _INSERT, _pending_pushes, callbacks

from server_stub.operations import admin
from server_stub.operations.settings import load_settings
from server_stub.security.tokens import new_token
from server_stub.store.postgres.adapter import PgConnection
from server_stub.store.sqlite_feed import render_unrendered
from server_stub.testing import RunningRelay, relay_environment, start_relay

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.postgres_cluster import running_cluster

RELAY_ENV = {
    "RELAY_ACCESS_LOG": "0",
    "RELAY_LOG_LEVEL": "WARNING",
    "RELAY_RECONCILE_FIRST_S": "86400",
    "RELAY_RECONCILE_UNTIL_S": "86400",
    "RELAY_CONFIRM_FIRST_S": "86400",
    "RELAY_MAX_CONNECTIONS_PER_ADDRESS": "1000",
}
SENDERS = 32


class Setup:
    """One configuration: its relays' environments and the callback paths it has left."""

    def __init__(self, name: str, envs: list[dict[str, str]], by_provider: bool) -> None:
        self.name = name
        self.envs = envs
        self.by_provider = by_provider
        self.paths: list[tuple[int, int, str]] = []
        self.token = ""
        self.runs: list[Run] = []
        self.answered: list[int] = []


def _is_ack(status: int, body: bytes) -> bool:
    return status == 200 and body == ACK


def _address(relay: RunningRelay) -> tuple[str, int]:
    host, port = relay.base_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


async def _seed(
    env: dict[str, str], pushes: int, providers: int
) -> tuple[list[tuple[int, int, str]], str]:
    """Pending pushes with known callback tokens, spread over `providers` providers, straight
    into the store's database; returns (number, provider index, callback path) of each push
    and the first provider's desk token."""
    settings = load_settings(env)
    made = [await admin.create_provider(settings, f"Bench {n}") for n in range(providers)]
    ids = [int(provider["provider_id"]) for provider in made]
    tokens = [new_token() for _ in range(pushes)]
    rows = []
    for row in _pending_pushes(0, tokens):
        number = row[9] - 1  # the push's number; each provider numbers its own feed from 1
        rows.append((ids[number % providers], *row[1:9], number // providers + 1, *row[10:]))
    heads = [(len(range(n, pushes, providers)), ids[n]) for n in range(providers)]
    update = "UPDATE providers SET last_seq = ? WHERE id = ?"
    if settings.database_dsn is None:
        with sqlite3.connect(settings.database_path) as conn:
            conn.executemany(_INSERT, rows)
            conn.executemany(update, heads)
            render_unrendered(conn)
        conn.close()
    else:
        pg = PgConnection(settings.database_dsn)
        pg.execute("BEGIN IMMEDIATE")
        for start in range(0, len(rows), 5000):
            pg.executemany(_INSERT, rows[start : start + 5000])
        pg.executemany(update, heads)
        render_unrendered(pg)  # type: ignore[arg-type]
        pg.execute("COMMIT")
        # Planner statistics for the bulk-loaded rows (autovacuum would do it a little later).
        pg.execute("ANALYZE")
        pg.close()
    paths = [
        (n, n % providers, f"/payments/callback/{ids[n % providers]}/{t}/")
        for n, t in enumerate(tokens)
    ]
    return paths, str(made[0]["attendant_token"])


def _paid(env: dict[str, str], numbers: list[int]) -> int:
    settings = load_settings(env)
    sql = (
        "SELECT checkout_request_id FROM payments WHERE status = 'paid' "
        "AND checkout_request_id LIKE 'ws_CO_BENCH_%'"
    )
    if settings.database_dsn is None:
        with sqlite3.connect(settings.database_path) as conn:
            found = {c for (c,) in conn.execute(sql)}
        conn.close()
    else:
        pg = PgConnection(settings.database_dsn)
        found = {c for (c,) in pg.execute(sql).fetchall()}
        pg.close()
    return sum(1 for n in numbers if f"ws_CO_BENCH_{n}" in found)


async def _ingest(
    relays: list[RunningRelay], paths: list[tuple[int, int, str]], seconds: float, by_provider: bool
) -> Run:
    """The senders split evenly over the relays (each callback to the next relay in turn, or
    each provider's to one relay); one combined run."""
    count = len(relays)
    share = [
        [(n, path) for n, provider, path in paths if (provider if by_provider else n) % count == i]
        for i in range(count)
    ]
    runs = await asyncio.gather(
        *(
            drive(
                "ingest",
                _address(relay),
                callbacks(part),
                senders=SENDERS // len(relays),
                seconds=seconds,
                check=_is_ack,
            )
            for relay, part in zip(relays, share, strict=True)
        )
    )
    total = Run("ingest", seconds=max(run.seconds for run in runs))
    for run in runs:
        total.latencies += run.latencies
        total.errors += run.errors
        total.answered += run.answered
    return total


async def _wake(
    first: RunningRelay, second: RunningRelay, paths: list[tuple[int, int, str]], token: str
) -> list[float]:
    """Callback posted to `first`; seconds until a desk long-polling `second` holds it."""
    latencies = []
    headers = {"Authorization": f"Token {token}"}
    async with (
        httpx.AsyncClient(base_url=second.base_url, headers=headers, timeout=60) as desk,
        httpx.AsyncClient(base_url=first.base_url, timeout=30) as safaricom,
    ):
        first = (await desk.get("/payments/bucket/payments/", params={"after": 0})).json()
        after = first["head"]
        first_provider = [(n, path) for n, provider, path in paths if provider == 0]
        for number, body in callbacks(first_provider):
            wanted = f"ws_CO_BENCH_{number}"
            poll = asyncio.create_task(
                desk.get("/payments/bucket/payments/", params={"after": after, "wait": 30})
            )
            await asyncio.sleep(0.2)  # the long-poll is parked (no timing is measured here)
            sent = time.perf_counter()
            head, _, payload = body.partition(b"\r\n\r\n")
            path = head.split(b" ")[1].decode()
            response = await safaricom.post(
                path, content=payload, headers={"Content-Type": "application/json"}
            )
            assert response.json() == json.loads(ACK)
            page = (await poll).json()
            held = time.perf_counter()
            assert any(item["checkout_request_id"] == wanted for item in page["items"]), page
            latencies.append(held - sent)
            after = page["cursor"]
    return latencies


def _row(setup: Setup) -> str:
    total = Run("ingest", seconds=sum(run.seconds for run in setup.runs))
    for run in setup.runs:
        total.latencies += run.latencies
        total.errors += run.errors
    rounds = ", ".join(f"{run.rate:,.0f}" for run in setup.runs)
    durable = _paid(setup.envs[0], setup.answered)
    return (
        f"| {setup.name} | {rounds} | {total.rate:,.0f}/s | {total.median_ms():.1f} ms | "
        f"{total.percentile_ms(99):.1f} ms | {total.errors} | {durable:,}/{total.ok:,} |"
    )


async def main_async(args: argparse.Namespace, folder: Path) -> list[str]:
    """All configurations in one run, taking turns round after round."""
    per_round = int(args.seconds * args.expected_rate)
    key = Fernet.generate_key().decode()
    with running_cluster("pb-bench-pg-", durable=True) as cluster:
        configurations = [
            ("SQLite, 1 relay", None, 1, False),
            ("PostgreSQL, 1 relay", cluster, 1, False),
            ("PostgreSQL, 2 relays, round-robin", cluster, 2, False),
            ("PostgreSQL, 2 relays, by provider", cluster, 2, True),
        ]
        setups = []
        for number, (name, pg, count, by_provider) in enumerate(configurations):
            extra = {"DATABASE_URL": pg.dsn(pg.new_database())} if pg else {}
            base = {**RELAY_ENV, "ENCRYPTION_KEY": key, **extra}
            envs = [relay_environment(folder / f"c{number}r{n}", base) for n in range(count)]
            setup = Setup(name, envs, by_provider)
            # The wake samples go to the first provider, whose desk long-polls.
            wake = args.samples * args.providers if count == 2 and not by_provider else 0
            setup.paths, setup.token = await _seed(
                envs[0], per_round * args.rounds + wake, args.providers
            )
            setups.append(setup)
        lines = []
        for round_number in range(args.rounds):
            order = setups if round_number % 2 == 0 else setups[::-1]
            for setup in order:
                relays = [
                    start_relay(env, folder / f"{setup.name[:12]}{n}.log")
                    for n, env in enumerate(setup.envs)
                ]
                try:
                    part, setup.paths = setup.paths[:per_round], setup.paths[per_round:]
                    run = await _ingest(relays, part, args.seconds, setup.by_provider)
                    setup.runs.append(run)
                    setup.answered += run.answered
                    print(
                        f"round {round_number + 1}: {setup.name} {run.rate:,.0f}/s", file=sys.stderr
                    )
                    if round_number == args.rounds - 1 and len(relays) == 2 and setup.paths:
                        lines.append(
                            _wake_row(await _wake(relays[0], relays[1], setup.paths, setup.token))
                        )
                finally:
                    for relay in relays:
                        relay.stop()
        return [_row(setup) for setup in setups] + lines


def _wake_row(wake: list[float]) -> str:
    ordered = sorted(wake)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return (
        f"| cross-instance wake ({len(wake)} callbacks on A, desk on B) | | "
        f"p50 {statistics.median(wake) * 1000:.1f} ms | p95 {p95 * 1000:.1f} ms"
        f" | max {max(wake) * 1000:.1f} ms | | |"
    )


def main() -> int:
    """Parse options, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="ingest seconds a round")
    parser.add_argument("--rounds", type=int, default=3, help="turns of every configuration")
    parser.add_argument("--providers", type=int, default=8, help="providers the pushes spread over")
    parser.add_argument("--samples", type=int, default=50, help="cross-instance wake samples")
    parser.add_argument("--expected-rate", type=float, default=4000, help="callbacks/s to seed")
    args = parser.parse_args()
    about = machine()
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as folder:
        lines = asyncio.run(main_async(args, Path(folder)))
    print(f"Machine: {about}")
    print("| configuration | rounds (/s) | ingest | p50 | p99 | errors | acks found paid |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
