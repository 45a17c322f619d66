"""How long the platform administrator's health list takes with many providers and payments.

Usage: .venv/bin/python bench/bench_platform_health.py [--providers 500] [--payments 200]

Makes a throwaway store, adds the providers (the store's own call) and `payments` accepted sales
per provider spread over a year, `--days` (straight SQL: pushing them through the simulator would
take hours), then times `GET /payments/bucket/admin/providers/`'s store read and prints the median
and worst of 20 runs with the number of SQL statements one read takes.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from server_stub.platform.health import DAY_S, HealthWindow
from server_stub.store.sqlite_platform import provider_health
from server_stub.store.sqlite_store import SqliteStore

_INSERT = (
    "INSERT INTO payments (provider_id, callback_token_hash, status, phone_number, amount, "
    "checkout_request_id, seq, created_at, updated_at, account_reference, transaction_desc) "
    "VALUES (?, ?, ?, '254700000000', ?, ?, ?, ?, ?, 'HOTSPOT', 'WiFi')"
)
STATUSES = ("paid",) * 8 + ("cancelled", "expired", "disputed")


async def build(path: Path, providers: int, payments: int, days: int) -> None:
    store = SqliteStore(path, time.time)
    now = time.time()
    try:
        ids = [await store.create_provider(f"Net {n}", now) for n in range(providers)]
    finally:
        await store.close()
    chance = random.Random(7)
    rows = []
    for pid in ids:
        for n in range(payments):
            at = now - chance.random() * days * DAY_S
            status = chance.choice(STATUSES)
            rows.append((pid, f"h{pid}-{n}", status, 50, f"ws_{pid}_{n}", n + 1, at, at))
    with sqlite3.connect(path) as conn:
        conn.executemany(_INSERT, rows)


def measure(path: Path) -> tuple[list[float], int]:
    conn = sqlite3.connect(path)
    statements: list[str] = []
    timings = []
    try:
        for run in range(20):
            if run == 0:
                conn.set_trace_callback(statements.append)
            started = time.perf_counter()
            provider_health(conn, HealthWindow.at(time.time()))
            timings.append(time.perf_counter() - started)
            conn.set_trace_callback(None)
    finally:
        conn.close()
    return timings, len(statements)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--providers", type=int, default=500)
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--days", type=int, default=365, help="history spread over this many")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "relay.db"
        asyncio.run(build(path, args.providers, args.payments, args.days))
        timings, statements = measure(path)
    print(
        f"{args.providers} providers, {args.providers * args.payments} payments over "
        f"{args.days} days: health list "
        f"median {statistics.median(timings) * 1000:.1f} ms, worst {max(timings) * 1000:.1f} "
        f"ms, {statements} SQL statements per read"
    )


if __name__ == "__main__":
    main()
