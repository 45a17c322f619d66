"""Benchmark of the Payments page with 100,000 payments in a real relay (issue 7).

Usage: .venv/bin/python bench/bench_payments_page.py [--payments 100000] [--pushes 40]

It starts the Daraja simulator and a relay subprocess, seeds the relay's SQLite store with
N settled payments (written straight into the store: pushing 100,000 prompts through the
simulator would take hours), then drives the real counter pages offscreen and prints:
first sync from the relay, load from the local copy at the next start, search and filter
times, scrolling frame times, resident memory, and the delay between a callback reaching the
relay and its payment changing on screen. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import qasync
from PySide6.QtWidgets import QApplication

from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_book import BookChange
from bucket_desktop.services.plans import default_plans
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.ui.counter_pages import CounterPages, build_counter_pages
from server_stub.daraja_sim import scenarios
from server_stub.daraja_sim.testing import running_simulator
from server_stub.testing import RunningRelay, running_relay

SEARCHES = ("0712 345", "SB000123", "wifi 1 day", "ws_co_bench_99999", "no such payment")


def rss_mb() -> tuple[float, float]:
    """Resident and peak resident memory of this process, in MB (Linux)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def seed(db: Path, provider_id: int, count: int) -> None:
    """Settled payments spread over the last 30 days, with the provider's seq counter."""
    now = time.time()
    step = 30 * 86_400 / count
    plans = default_plans()
    rows = []
    for i in range(count):
        plan = plans[i % len(plans)]
        paid = i % 9 != 0
        created = now - 30 * 86_400 + i * step
        rows.append(
            (provider_id, secrets.token_hex(16), f"ws_CO_bench_{i}", f"{i}-bench",
             "paid" if paid else "cancelled", f"2547{(i * 7919) % 10**8:08d}", plan.amount,
             plan.account_reference, plan.transaction_desc, f"SB{i:08d}" if paid else None,
             "0" if paid else "1032", "ok", "callback", created, created + 4, i + 1)
        )  # fmt: skip
    with sqlite3.connect(db, timeout=30) as conn:
        conn.executemany(
            "INSERT INTO payments (provider_id, callback_token_hash, checkout_request_id, "
            "merchant_request_id, status, phone_number, amount, account_reference, "
            "transaction_desc, mpesa_receipt_number, result_code, result_desc, resolved_by, "
            "created_at, updated_at, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute("UPDATE providers SET last_seq = ? WHERE id = ?", (count, provider_id))
    conn.close()


def new_provider(relay: RunningRelay) -> dict[str, str]:
    """A provider with the simulator's paybill."""
    provider = relay.cli("create-provider", "--name", "Bench WiFi")
    credentials = {
        "consumer_key": scenarios.DEFAULT_CONSUMER_KEY,
        "consumer_secret": scenarios.DEFAULT_CONSUMER_SECRET,
        "shortcode": scenarios.DEFAULT_SHORTCODE,
        "passkey": scenarios.DEFAULT_PASSKEY,
        "environment": "sandbox",
        "account_type": "paybill",
    }
    pid = str(provider["provider_id"])
    relay.cli("set-credentials", "--provider", pid, input=json.dumps(credentials))
    return provider


async def until(condition: Callable[[], bool], timeout_s: float = 120.0) -> None:
    """Poll a condition while the Qt loop runs."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - widgets offer no event for this
            await asyncio.sleep(0.001)


async def load(pages: CounterPages, client: RelayClient, count: int) -> tuple[float, float]:
    """Seconds until the table shows every payment, and until the feed is live."""
    start = time.perf_counter()
    await pages.set_client(client)
    await until(lambda: pages.payments.model.rowCount() >= count)
    shown = time.perf_counter() - start
    await until(lambda: pages.live.state.value == "live")
    return shown, time.perf_counter() - start


def search_times(pages: CounterPages) -> list[tuple[str, float, int]]:
    """Time of each search (filter the book and reset the model), with its row count."""
    view = pages.payments_view
    results = []
    for text in SEARCHES:
        start = time.perf_counter()
        view.search_edit.setText(text)
        pages.payments.apply_filter()
        # Paint now (synchronously): the figure includes the table showing the new rows.
        view.table.viewport().repaint()
        results.append((text, time.perf_counter() - start, pages.payments.model.rowCount()))
    view.search_edit.clear()
    for choice in ("Paid", "All statuses"):
        start = time.perf_counter()
        view.status_combo.setCurrentText(choice)
        view.table.viewport().repaint()
        results.append((f"status: {choice}", time.perf_counter() - start,
                        pages.payments.model.rowCount()))  # fmt: skip
    return results


def scroll_frames(pages: CounterPages, steps: int = 200) -> list[float]:
    """Paint time of the table after each page-down, over the whole list."""
    table = pages.payments_view.table
    bar = table.verticalScrollBar()
    frames = []
    for index in range(steps):
        start = time.perf_counter()
        bar.setValue(bar.maximum() * index // steps)
        table.viewport().repaint()
        frames.append(time.perf_counter() - start)
    return frames


async def latencies(pages: CounterPages, other: RelayClient, db: Path, pushes: int) -> list[float]:
    """Seconds from each callback reaching the relay to its payment showing as paid."""
    shown_at: dict[str, float] = {}

    def note(change: BookChange) -> None:
        now = time.time()
        for row in change.updated:
            if row.status is PaymentStatus.PAID:
                shown_at.setdefault(row.checkout_request_id, now)

    pages.live.book_changed.connect(note)
    ids = []
    for n in range(pushes):
        push = await other.initiate(phone_number=f"25471{n:07d}", amount=10,
                                    account_reference="BENCH", transaction_desc="WiFi")  # fmt: skip
        ids.append(push.checkout_request_id)
        await asyncio.sleep(0.05)
    await until(lambda: all(i in shown_at for i in ids), 60)
    received = callback_times(db)
    return [shown_at[i] - received[i] for i in ids]


def callback_times(db: Path) -> dict[str, float]:
    """When the relay received each callback (its raw_callbacks table), by checkout ID."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT received_at, body FROM raw_callbacks").fetchall()
    conn.close()
    first: dict[str, float] = {}
    for received_at, body in rows:
        checkout = json.loads(body)["Body"]["stkCallback"]["CheckoutRequestID"]
        first[checkout] = min(received_at, first.get(checkout, received_at))
    return first


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def bench(relay: RunningRelay, workdir: Path, count: int, pushes: int) -> None:
    """Run every measurement and print the figures."""
    provider = new_provider(relay)
    db = workdir / "relay" / "relay.db"
    seed(db, int(provider["provider_id"]), count)
    token = provider["attendant_token"]
    async with httpx.AsyncClient(timeout=30.0) as http:
        first = build_counter_pages(plans=default_plans(), cache_dir=workdir, with_tray=False)
        first.payments_view.resize(1100, 640)
        first.payments_view.show()
        cold = await load(first, RelayClient(http, relay.base_url, token), count)
        await first.close()
        first.payments_view.deleteLater()
        del first  # the app holds one book, not two
        gc.collect()
        pages = build_counter_pages(plans=default_plans(), cache_dir=workdir, with_tray=False)
        pages.payments_view.resize(1100, 640)
        pages.payments_view.show()
        warm = await load(pages, RelayClient(http, relay.base_url, token), count)
        searches = search_times(pages)
        frames = scroll_frames(pages)
        other = RelayClient(http, relay.base_url, provider["owner_token"])
        delays = await latencies(pages, other, db, pushes)
        rss, peak = rss_mb()
        await pages.close()
        for view in (pages.charge_view, pages.stk_status_view, pages.payments_view):
            view.close()
            view.deleteLater()
        await asyncio.sleep(0.1)  # let Qt delete the widgets while the loop still runs
    report(count, cold, warm, searches, frames, delays, rss, peak)


def report(count: int, cold: tuple[float, float], warm: tuple[float, float],
           searches: list[tuple[str, float, int]], frames: list[float], delays: list[float],
           rss: float, peak: float) -> None:  # fmt: skip
    """Print the figures as markdown lines for BENCHMARKS.md."""
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()}")  # fmt: skip
    print(f"- first sync of {count:,} payments from the relay (no local copy): table full in "
          f"{cold[0]:.2f} s, live in {cold[1]:.2f} s")  # fmt: skip
    print(f"- next start, from the local copy: table full in {warm[0]:.2f} s, live in "
          f"{warm[1]:.2f} s")  # fmt: skip
    for text, seconds, rows in searches:
        print(f"- search `{text}`: {seconds * 1000:.0f} ms ({rows:,} rows)")
    print(f"- scrolling: paint after a jump p50 {statistics.median(frames) * 1000:.1f} ms, "
          f"p95 {pct(frames, 95) * 1000:.1f} ms, max {max(frames) * 1000:.1f} ms")  # fmt: skip
    print(f"- callback at the relay to paid on screen ({len(delays)} pushes): p50 "
          f"{statistics.median(delays) * 1000:.0f} ms, p95 {pct(delays, 95) * 1000:.0f} ms, "
          f"max {max(delays) * 1000:.0f} ms")  # fmt: skip
    print(f"- resident memory after all of it: {rss:.0f} MB (peak {peak:.0f} MB)")


def main() -> int:
    """Start the simulator and the relay, then the Qt loop, and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--pushes", type=int, default=25)  # the relay allows 30 a minute
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    # Closing the first pages' window must not end the run.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as temp, running_simulator(callback_delay_s=0.3) as sim:
        workdir = Path(temp)
        env = {"DARAJA_BASE_URL": sim.base_url, "RELAY_RECONCILE_FIRST_S": "60"}
        with running_relay(workdir, env=env) as relay:
            loop.run_until_complete(bench(relay, workdir, args.payments, args.pushes))
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
