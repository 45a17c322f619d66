"""Benchmark of the relay on PostgreSQL (issue 18): ingest with 1 and 2 instances beside SQLite.

Usage: .venv/bin/python bench/bench_postgres.py [--seconds 15] [--samples 50]   (as root)

One run, one load generator (bench/relay_load.py, 32 keep-alive senders posting paid callbacks):
- SQLite: one relay on its WAL file with synchronous=FULL;
- PostgreSQL 15 with fsync and synchronous_commit on (a throw-away cluster on loopback): one
  relay, then two relays on the same database with the senders split between them (what a
  load balancer does);
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

from server_stub import admin
from server_stub.settings import load_settings
from server_stub.store.postgres.adapter import PgConnection
from server_stub.store.sqlite_feed import render_unrendered
from server_stub.testing import RunningRelay, relay_environment, start_relay
from server_stub.tokens import new_token

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


def _is_ack(status: int, body: bytes) -> bool:
    return status == 200 and body == ACK


def _address(relay: RunningRelay) -> tuple[str, int]:
    host, port = relay.base_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


async def _seed(env: dict[str, str], pushes: int) -> tuple[list[tuple[int, str]], str]:
    """Pending pushes with known callback tokens, straight into the store's database."""
    settings = load_settings(env)
    ingest = await admin.create_provider(settings, "Bench ingest")
    tokens = [new_token() for _ in range(pushes)]
    rows = _pending_pushes(ingest["provider_id"], tokens)
    if settings.database_dsn is None:
        with sqlite3.connect(settings.database_path) as conn:
            conn.executemany(_INSERT, rows)
            conn.execute("UPDATE providers SET last_seq = ? WHERE id = ?", (pushes, 1))
            render_unrendered(conn)
        conn.close()
    else:
        pg = PgConnection(settings.database_dsn)
        pg.execute("BEGIN IMMEDIATE")
        for start in range(0, len(rows), 5000):
            pg.executemany(_INSERT, rows[start : start + 5000])
        pg.execute("UPDATE providers SET last_seq = ? WHERE id = ?", (pushes, 1))
        render_unrendered(pg)  # type: ignore[arg-type]
        pg.execute("COMMIT")
        # Planner statistics for the bulk-loaded rows (autovacuum would do it a little later).
        pg.execute("ANALYZE")
        pg.close()
    paths = [(n, f"/payments/callback/{ingest['provider_id']}/{t}/") for n, t in enumerate(tokens)]
    return paths, str(ingest["attendant_token"])


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


async def _ingest(relays: list[RunningRelay], paths: list[tuple[int, str]], seconds: float) -> Run:
    """The senders split evenly over the relays; one combined run."""
    share = [paths[i :: len(relays)] for i in range(len(relays))]
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
    first: RunningRelay, second: RunningRelay, paths: list[tuple[int, str]], token: str
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
        for number, body in callbacks(paths):
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


def _row(name: str, run: Run, durable: int) -> str:
    return (
        f"| {name} | {run.rate:,.0f}/s | {run.median_ms():.1f} ms | {run.percentile_ms(99):.1f} ms"
        f" | {run.errors} | {durable:,}/{run.ok:,} |"
    )


async def main_async(args: argparse.Namespace, folder: Path) -> list[str]:
    """All configurations in one run."""
    lines = []
    pushes = int(args.seconds * args.expected_rate)
    key = Fernet.generate_key().decode()
    with running_cluster("pb-bench-pg-", durable=True) as cluster:
        setups: list[tuple[str, dict[str, str], int]] = [
            ("SQLite, 1 relay", {}, 1),
            ("PostgreSQL, 1 relay", {"DATABASE_URL": cluster.dsn(cluster.new_database())}, 1),
            ("PostgreSQL, 2 relays", {"DATABASE_URL": cluster.dsn(cluster.new_database())}, 2),
        ]
        for name, extra, count in setups:
            base = {**RELAY_ENV, "ENCRYPTION_KEY": key, **extra}
            envs = [relay_environment(folder / f"{name[:3]}{n}", base) for n in range(count)]
            # Two relays on SQLite are refused; on PostgreSQL they share the database.
            paths, token = await _seed(envs[0], pushes + (args.samples if count == 2 else 0))
            relays = [start_relay(env, folder / f"{name[:3]}{n}.log") for n, env in enumerate(envs)]
            try:
                ingest_paths = paths[:pushes]
                run = await _ingest(relays, ingest_paths, args.seconds)
                lines.append(_row(name, run, _paid(envs[0], run.answered)))
                print(lines[-1], file=sys.stderr)
                if count == 2:
                    wake = await _wake(relays[0], relays[1], paths[pushes:], token)
                    ordered = sorted(wake)
                    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
                    lines.append(
                        f"| cross-instance wake ({len(wake)} callbacks on A, desk on B) | "
                        f"p50 {statistics.median(wake) * 1000:.1f} ms | p95 {p95 * 1000:.1f} ms"
                        f" | max {max(wake) * 1000:.1f} ms | | |"
                    )
            finally:
                for relay in relays:
                    relay.stop()
    return lines


def main() -> int:
    """Parse options, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="ingest duration")
    parser.add_argument("--samples", type=int, default=50, help="cross-instance wake samples")
    parser.add_argument("--expected-rate", type=float, default=4000, help="callbacks/s to seed")
    args = parser.parse_args()
    about = machine()
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as folder:
        lines = asyncio.run(main_async(args, Path(folder)))
    print(f"Machine: {about}")
    print("| configuration | ingest | p50 | p99 | errors | acks found paid |")
    print("|---|---|---|---|---|---|")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
