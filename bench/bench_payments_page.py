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
import json
import os
import platform
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import qasync
from PySide6.QtWidgets import QApplication

from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_book import BookChange
from bucket_desktop.services.plans import default_plans
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.ui.shell.counter_pages import CounterPages, build_counter_pages
from server_stub.daraja_sim import scenarios
from server_stub.daraja_sim.testing import running_simulator
from server_stub.store.sqlite_feed import render_unrendered
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
        # What the relay does for rows it did not write itself when it next opens the file.
        render_unrendered(conn)
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


async def load(pages: CounterPages, client: RelayClient, count: int) -> tuple[float, float, float]:
    """Seconds until the table shows every payment, until the feed is live, and until the
    first rows were on screen."""
    start = time.perf_counter()
    first_rows: list[float] = []

    def note_first() -> None:
        if not first_rows:
            first_rows.append(time.perf_counter() - start)

    pages.payments.model.rowsInserted.connect(note_first)
    pages.payments.model.modelReset.connect(
        lambda: note_first() if pages.payments.model.rowCount() else None
    )
    await pages.set_client(client)
    await until(lambda: pages.payments.model.rowCount() >= count)
    shown = time.perf_counter() - start
    await until(lambda: pages.live.state.value == "live")
    return shown, time.perf_counter() - start, first_rows[0]


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


async def phase(job: dict[str, Any]) -> dict[str, Any]:
    """One start of the pages in this (fresh) process: `cold` has no local copy yet."""
    count, found = int(job["count"]), {}
    async with httpx.AsyncClient(timeout=30.0) as http:
        pages = build_counter_pages(
            plans=default_plans(), cache_dir=Path(job["cache_dir"]), with_tray=False
        )
        pages.payments_view.resize(1100, 640)
        pages.payments_view.show()
        cpu = time.process_time()
        found["load"] = await load(pages, RelayClient(http, job["relay"], job["token"]), count)
        found["cpu"] = time.process_time() - cpu  # this process, its threads included
        if job["phase"] == "warm":
            found["searches"] = search_times(pages)
            found["frames"] = scroll_frames(pages)
            other = RelayClient(http, job["relay"], job["owner_token"])
            found["delays"] = await latencies(pages, other, Path(job["db"]), int(job["pushes"]))
        found["rss"] = rss_mb()
        await pages.close()
        for view in (pages.charge_view, pages.stk_status_view, pages.payments_view):
            view.close()
            view.deleteLater()
        await asyncio.sleep(0.1)  # let Qt delete the widgets while the loop still runs
    return found


def run_phase(job_file: Path) -> int:
    """Child process: run one phase on a Qt loop and print its figures as JSON."""
    job = json.loads(job_file.read_text())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # closing the page at the end must not stop the loop
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    found = loop.run_until_complete(phase(job))
    loop.close()
    print(json.dumps(found))
    return 0


def child(job: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run a phase in a fresh process, so its memory is the app's and nothing else's."""
    job_file = workdir / f"{job['phase']}.json"
    job_file.write_text(json.dumps(job))
    done = subprocess.run(
        [sys.executable, __file__, "--phase", str(job_file)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def report(count: int, cold: dict[str, Any], warm: dict[str, Any]) -> None:
    """Print the figures as markdown lines for BENCHMARKS.md."""
    frames, delays = warm["frames"], warm["delays"]
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()}")  # fmt: skip
    print(f"- first start, no local copy: first rows on screen after "
          f"{cold['load'][2] * 1000:.0f} ms, all {count:,} payments fetched from the relay and "
          f"shown in {cold['load'][0]:.2f} s; resident memory {cold['rss'][0]:.0f} MB "
          f"(peak {cold['rss'][1]:.0f} MB)")  # fmt: skip
    print(f"- next start, from the local copy: table full in {warm['load'][0]:.2f} s, feed "
          f"live in {warm['load'][1]:.2f} s")  # fmt: skip
    for text, seconds, rows in warm["searches"]:
        print(f"- search `{text}`: {seconds * 1000:.0f} ms ({rows:,} rows)")
    print(f"- scrolling: paint after a jump p50 {statistics.median(frames) * 1000:.1f} ms, "
          f"p95 {pct(frames, 95) * 1000:.1f} ms, max {max(frames) * 1000:.1f} ms")  # fmt: skip
    print(f"- callback at the relay to paid on screen ({len(delays)} pushes): p50 "
          f"{statistics.median(delays) * 1000:.0f} ms, p95 {pct(delays, 95) * 1000:.0f} ms, "
          f"max {max(delays) * 1000:.0f} ms")  # fmt: skip
    print(f"- resident memory of that start after all of the above: {warm['rss'][0]:.0f} MB "
          f"(peak {warm['rss'][1]:.0f} MB)")  # fmt: skip


def main() -> int:
    """Start the simulator and the relay, seed them, then run each start in a child process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--pushes", type=int, default=25)  # the relay allows 30 a minute
    parser.add_argument("--phase", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        return run_phase(args.phase)
    with tempfile.TemporaryDirectory() as temp, running_simulator(callback_delay_s=0.3) as sim:
        workdir = Path(temp)
        env = {"DARAJA_BASE_URL": sim.base_url, "RELAY_RECONCILE_FIRST_S": "60"}
        with running_relay(workdir, env=env) as relay:
            provider = new_provider(relay)
            db = workdir / "relay" / "relay.db"
            seed(db, int(provider["provider_id"]), args.payments)
            job = {
                "relay": relay.base_url,
                "token": provider["attendant_token"],
                "owner_token": provider["owner_token"],
                "cache_dir": str(workdir / "app"),
                "db": str(db),
                "count": args.payments,
                "pushes": args.pushes,
            }
            cold = child({**job, "phase": "cold"}, workdir)
            warm = child({**job, "phase": "warm"}, workdir)
    report(args.payments, cold, warm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
