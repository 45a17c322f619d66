"""Benchmark of the callback relay (issue 5): one relay worker on loopback, driven by raw HTTP.

Usage: .venv/bin/python bench/bench_relay.py [--seconds 30] [--only ingest,burst,feed,catchup,e2e]

It starts the relay as a real process (`bucket-relay serve`, one uvicorn worker, SQLite in WAL
with synchronous=FULL), seeds its store straight through SQL (pushes "accepted by Daraja" with
known callback tokens, and a 100,000-payment provider for the feed), and measures:
- ingest: 32 keep-alive senders posting paid callbacks for N seconds; beside it the same load
  on a minimal ASGI app on the same uvicorn, and the ratio (the load generator's ceiling);
- burst: 5,000 callbacks from 128 senders at once; none lost, server memory growth;
- feed: GET /payments/bucket/payments/?after= over a 100,000-payment store;
- catch-up: that store's whole history as a new desk reads it, by one snapshot and by 500-item
  pages, alternated in the same run (fetch and JSON parse; the desk's own work is measured by
  bench_payments_page.py);
- end to end: simulator callback leaving -> long-polling client holding the update.
Not a test: figures depend on the machine. Prints a table; BENCHMARKS.md keeps the last one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from relay_load import ACK, Run, drive, http_request, rss_mb, start_minimal_app
from relay_report import (
    BURST,
    Row,
    burst_row,
    catch_up_rows,
    e2e_row,
    feed_row,
    ingest_rows,
    machine,
    print_table,
)
from relay_seed import FEED_PAYMENTS, Seeded, callbacks, seed

from server_stub.daraja_sim import scenarios
from server_stub.daraja_sim.testing import running_simulator
from server_stub.operations.settings import load_settings
from server_stub.testing import RunningRelay, relay_environment, start_relay

RELAY_ENV = {
    "RELAY_ACCESS_LOG": "0",
    "RELAY_LOG_LEVEL": "WARNING",
    # Paid callbacks schedule one verifying query; keep Daraja out of these figures.
    "RELAY_RECONCILE_FIRST_S": "86400",
    "RELAY_RECONCILE_UNTIL_S": "86400",
    # Every sender here shares one loopback address; in production they are Safaricom's many.
    "RELAY_MAX_CONNECTIONS_PER_ADDRESS": "1000",
}


def is_ack(status: int, body: bytes) -> bool:
    """Safaricom's expected answer."""
    return status == 200 and body == ACK


def address(relay: RunningRelay) -> tuple[str, int]:
    """Host and port of a running relay."""
    host, port = relay.base_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def applied_count(db: Path, numbers: list[int]) -> int:
    """How many of these pushes the store shows as paid (durably applied)."""
    wanted = {f"ws_CO_BENCH_{n}" for n in numbers}
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT checkout_request_id FROM payments WHERE status = 'paid' "
            "AND checkout_request_id LIKE 'ws_CO_BENCH_%'"
        ).fetchall()
    return sum(1 for (checkout,) in rows if checkout in wanted)


async def ingest(relay: RunningRelay, paths: list[tuple[int, str]], seconds: float) -> Run:
    """32 senders posting paid callbacks for `seconds`."""
    return await drive(
        "ingest", address(relay), callbacks(paths), senders=32, seconds=seconds, check=is_ack
    )


async def baseline(paths: list[tuple[int, str]], seconds: float) -> Run:
    """The same load on a minimal ASGI app served by the same uvicorn setup."""
    process, where = start_minimal_app()
    try:
        return await drive(
            "minimal ASGI app", where, callbacks(paths), senders=32, seconds=seconds, check=is_ack
        )
    finally:
        process.terminate()
        process.wait()


async def burst(relay: RunningRelay, paths: list[tuple[int, str]]) -> tuple[Run, float, float]:
    """5,000 callbacks from 128 senders at once; returns the run, RSS growth and peak (MB)."""
    assert relay.process is not None
    before, _ = rss_mb(relay.process.pid)
    run = await drive(
        "burst", address(relay), callbacks(paths), senders=128, seconds=None, check=is_ack
    )
    after, peak = rss_mb(relay.process.pid)
    return run, after - before, peak


def feed_requests(token: str, last_seq: int, page: bool) -> Iterator[tuple[int, bytes]]:
    """Feed reads: a caught-up client (the last few changes), or full 100-item pages."""
    rng = random.Random(7)
    headers = {"Authorization": f"Token {token}"}
    while True:
        if page:
            after = rng.randrange(0, last_seq - 100)
            path = f"/payments/bucket/payments/?after={after}&limit=100"
        else:
            after = last_seq - rng.randrange(1, 11)
            path = f"/payments/bucket/payments/?after={after}"
        yield after, http_request("GET", path, headers=headers)


async def feed(relay: RunningRelay, seeded: Seeded, seconds: float, page: bool) -> Run:
    """32 readers of the 100,000-payment provider's feed."""
    name = "feed, 100-item pages" if page else "feed, caught-up client"
    return await drive(
        name,
        address(relay),
        feed_requests(seeded.feed_token, seeded.feed_last_seq, page),
        senders=32,
        seconds=seconds,
        check=lambda status, body: status == 200 and body.startswith(b'{"items":['),
    )


SNAPSHOT_PATH = "/payments/bucket/payments/snapshot/"
FEED_PATH = "/payments/bucket/payments/"


async def catch_up(relay: RunningRelay, seeded: Seeded, samples: int) -> tuple[Run, Run]:
    """A new desk's whole history: one streamed snapshot, and 500-item pages, alternated."""
    by_snapshot, by_pages = Run("snapshot"), Run("pages")
    headers = {"Authorization": f"Token {seeded.feed_token}"}
    async with httpx.AsyncClient(base_url=relay.base_url, headers=headers, timeout=120) as http:
        for _ in range(samples):
            started = time.perf_counter()
            items = 0
            # httpx asks for gzip and unpacks it; each line is parsed on arrival, as a desk does.
            async with http.stream("GET", SNAPSHOT_PATH) as answer:
                async for line in answer.aiter_lines():
                    data = json.loads(line)
                    items += len(data) if isinstance(data, list) else 0
            by_snapshot.latencies.append(time.perf_counter() - started)
            by_snapshot.errors += items != FEED_PAYMENTS
            started = time.perf_counter()
            cursor, items = 0, 0
            while True:
                params = {"after": cursor, "limit": 500}
                page = json.loads((await http.get(FEED_PATH, params=params)).content)
                if not page["items"]:
                    break
                items, cursor = items + len(page["items"]), page["cursor"]
            by_pages.latencies.append(time.perf_counter() - started)
            by_pages.errors += items != FEED_PAYMENTS
    return by_snapshot, by_pages


E2E_DELAY_S = 0.2
SIM_CREDENTIALS = {
    "consumer_key": scenarios.DEFAULT_CONSUMER_KEY,
    "consumer_secret": scenarios.DEFAULT_CONSUMER_SECRET,
    "shortcode": scenarios.DEFAULT_SHORTCODE,
    "passkey": scenarios.DEFAULT_PASSKEY,
    "environment": "sandbox",
    "account_type": "paybill",
}
PUSHES_PER_PROVIDER = 25  # under the relay's 30-a-minute limit per provider


async def end_to_end(relay: RunningRelay, sim: Any, samples: int) -> Run:
    """Pushes through the relay; latency from the simulator's callback leaving to the feed."""
    run = Run("end to end")
    seen: dict[str, float] = {}
    pushed: list[str] = []
    for first in range(0, samples, PUSHES_PER_PROVIDER):
        created = _sim_provider(relay, f"E2E {first}")
        headers = {"Authorization": f"Token {created['attendant_token']}"}
        async with httpx.AsyncClient(base_url=relay.base_url, headers=headers, timeout=40) as http:
            everything_seen = asyncio.Event()
            poller = asyncio.create_task(_long_poll(http, seen, pushed, everything_seen))
            for n in range(first, min(samples, first + PUSHES_PER_PROVIDER)):
                response = await http.post(
                    "/payments/bucket/initiate/",
                    json={
                        "phone_number": f"0711{n:06d}",
                        "amount": 10,
                        "account_reference": "BENCH",
                        "transaction_desc": "WiFi",
                    },
                )
                response.raise_for_status()
                pushed.append(response.json()["checkout_request_id"])
                await asyncio.sleep(E2E_DELAY_S + 0.1)
            everything_seen.clear()
            if not all(c in seen for c in pushed):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(everything_seen.wait(), 10)
            poller.cancel()
    log = await asyncio.to_thread(sim.request_log, "stk_push")
    left = {entry["checkout_request_id"]: entry["at"] + E2E_DELAY_S for entry in log}
    for checkout in pushed:
        if checkout in seen and checkout in left:
            run.latencies.append(max(0.0, seen[checkout] - left[checkout]))
        else:
            run.errors += 1
    return run


def _sim_provider(relay: RunningRelay, name: str) -> dict[str, Any]:
    created = relay.cli("create-provider", "--name", name)
    credentials = json.dumps(SIM_CREDENTIALS)
    relay.cli("set-credentials", "--provider", str(created["provider_id"]), input=credentials)
    return created


async def _long_poll(
    http: Any, seen: dict[str, float], pushed: list[str], done: asyncio.Event
) -> None:
    cursor = 0
    while True:
        page = (
            await http.get("/payments/bucket/payments/", params={"after": cursor, "wait": 30})
        ).json()
        now = time.time()
        for item in page["items"]:
            if item["status"] == "paid":
                seen.setdefault(item["checkout_request_id"], now)
        if all(c in seen for c in pushed):
            done.set()
        cursor = page["cursor"]


async def main_async(args: argparse.Namespace, data: Path) -> list[Row]:
    """Run the chosen scenarios against one relay."""
    only = set(args.only.split(","))
    rows: list[Row] = []
    with running_simulator(callback_delay_s=E2E_DELAY_S) as sim:
        env = relay_environment(data, {**RELAY_ENV, "DARAJA_BASE_URL": sim.base_url})
        pushes = int(args.seconds * args.expected_rate) + BURST
        seeded = await seed(env, pushes)
        print(f"seeded {pushes:,} pushes and {FEED_PAYMENTS:,} feed payments", file=sys.stderr)
        relay = start_relay(env, data / "relay.log")
        try:
            db = load_settings(env).database_path
            ingest_paths, burst_paths = seeded.ingest_paths[:-BURST], seeded.ingest_paths[-BURST:]
            if "ingest" in only:
                run = await ingest(relay, ingest_paths, args.seconds)
                base = await baseline(ingest_paths, args.seconds)
                rows += ingest_rows(run, base, applied_count(db, run.answered))
            if "burst" in only:
                run, growth, peak = await burst(relay, burst_paths)
                rows.append(burst_row(run, applied_count(db, run.answered), growth, peak))
            if "feed" in only:
                feed_seconds = min(args.seconds, 15.0)
                rows.append(feed_row(await feed(relay, seeded, feed_seconds, page=False), True))
                rows.append(feed_row(await feed(relay, seeded, feed_seconds, page=True), True))
            if "catchup" in only:
                rows += catch_up_rows(*await catch_up(relay, seeded, args.catch_ups))
            if "e2e" in only:
                rows.append(e2e_row(await end_to_end(relay, sim, args.samples)))
        finally:
            relay.stop()
    return rows


def main() -> int:
    """Parse options, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="ingest duration")
    parser.add_argument("--samples", type=int, default=50, help="end-to-end pushes")
    parser.add_argument("--catch-ups", type=int, default=5, help="whole-history reads of each kind")
    parser.add_argument("--only", default="ingest,burst,feed,catchup,e2e")
    parser.add_argument(
        "--expected-rate", type=float, default=6000, help="callbacks/s to seed pushes for"
    )
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    about = machine()
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as folder:
        rows = asyncio.run(main_async(args, Path(folder)))
    print(f"Machine: {about}")
    print_table(rows)
    return 0 if all(row.met is not False for row in rows if row.counts) else 1


if __name__ == "__main__":
    sys.exit(main())
