"""Start the app in demo mode offscreen and save every page at two window sizes as docs/*.png.

Usage: .venv/bin/python scripts/screenshot_pages.py [--out-dir docs]

Once the demo is live the script acts as the owner on Payment settings (Test, Push to relay,
Verify on relay), adds 29 days of demo history to the demo relay's store (so the 30-day chart has
something to show), and charges a few of the simulator's phone numbers from Charge customer, as
an attendant would. Then it saves each page at 1024x600 (a netbook, or a 1366x768 laptop at 125 %)
and at 1366x768 as docs/<page>-<size>.png, the first screen (while the demo starts) as
docs/starting-1024x600.png, a paid prompt turned disputed as docs/stk-status-disputed-1024x600.png,
the paid -> online pictures of scripts/screenshot_access.py, and lists any widget cut off at
1024x600, 1366x768 or 1920x1080 (the script fails if there is one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QPushButton
from screenshot_access import grab_confirming, grab_receipts, revoke

from bucket_desktop.app import main
from bucket_desktop.services.plans import default_plans
from bucket_desktop.ui.charge.charge_page_view import ChargePageView
from bucket_desktop.ui.common.fit_check import clipped_widgets
from bucket_desktop.ui.common.widgets import StatusKind, StatusLabel
from bucket_desktop.ui.payments.payments_page_view import PaymentsPageView
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView
from bucket_desktop.ui.shell.main_window_view import MainWindowView
from bucket_desktop.ui.stk_status.stk_status_page_view import StkStatusPageView

ROOT = Path(__file__).resolve().parent.parent
PICTURE_SIZES = ((1024, 600), (1366, 768))
CHECKED_SIZES = (*PICTURE_SIZES, (1920, 1080))
PAGES = (
    ("Payment settings", "settings-page"),
    ("Charge customer", "charge-page"),
    ("STK status", "stk-status-page"),
    ("Payments", "payments-page"),
)
TIMEOUT_S = 60.0
# Typed at the counter: plan index per phone. 0700 000 002 cancels, 0700 000 005 enters a
# wrong PIN, 0700 000 003 never answers (still waiting in the pictures); the others pay.
TODAY_PUSHES = (
    ("0708 374 149", 0),
    ("0712 345 678", 2),
    ("0700 000 002", 1),
    ("0722 418 903", 3),
    ("0700 000 005", 0),
    ("0733 902 114", 2),
    ("0711 250 778", 0),
    ("0700 000 003", 2),
)
_tasks: set[asyncio.Task[None]] = set()


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for `condition()` to become true, or give up saying what was awaited."""
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


def seed_history(relay_db: Path, days: int = 29) -> None:
    """Demo payments for the days before today, written into the demo relay's store."""
    rng = random.Random(7)  # noqa: S311 - demo data, not security
    plans = default_plans()
    now = time.time()
    with sqlite3.connect(relay_db, timeout=30) as conn:
        provider_id, last_seq = conn.execute("SELECT id, last_seq FROM providers").fetchone()
        rows = []
        for back in range(days, 0, -1):
            for n in range(rng.randint(18, 46)):
                plan = rng.choices(plans, weights=(8, 5, 6, 2, 1))[0]
                created = now - back * 86_400 - rng.randint(0, 36_000)
                paid = rng.random() > 0.12
                last_seq += 1
                rows.append(
                    (provider_id, secrets.token_hex(16), f"ws_CO_demo_{back}_{n}", None,
                     "paid" if paid else "cancelled", f"2547{rng.randint(10**7, 10**8 - 1)}",
                     plan.amount, plan.account_reference, plan.transaction_desc,
                     f"SK{rng.randint(10**7, 10**8 - 1)}X" if paid else None,
                     "0" if paid else "1032", "demo", "callback", created, created + 5, last_seq)
                )  # fmt: skip
        conn.executemany(
            "INSERT INTO payments (provider_id, callback_token_hash, checkout_request_id, "
            "merchant_request_id, status, phone_number, amount, account_reference, "
            "transaction_desc, mpesa_receipt_number, result_code, result_desc, resolved_by, "
            "created_at, updated_at, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute("UPDATE providers SET last_seq = ? WHERE id = ?", (last_seq, provider_id))
    conn.close()


def demo_relay_db(temp: Path) -> Path:
    """The demo relay's SQLite store, inside the demo's throwaway folder."""
    return next(temp.glob("payment-bucket-demo-*/**/relay.db"))


def show(view: MainWindowView, title: str) -> None:
    """Pick a page in the sidebar by its title."""
    for row in range(view.sidebar.count()):
        item = view.sidebar.item(row)
        if item is not None and item.text() == title:
            view.sidebar.setCurrentRow(row)
            return
    raise LookupError(title)


async def press(button: QPushButton, status: StatusLabel) -> None:
    """Click a button and wait for its outcome."""
    status.show_status("")
    button.click()
    await until(lambda: status.kind in (StatusKind.OK, StatusKind.ERROR), button.text())


async def charge(page: ChargePageView, stk: StkStatusPageView, phone: str, plan: int) -> None:
    """Pick a plan, type the phone and send; wait until the prompt is listed."""
    before = stk.table.model().rowCount()
    button = page.plans_layout.itemAt(plan).widget()
    assert isinstance(button, QPushButton)
    button.click()
    page.phone_edit.setText(phone)
    page.send_button.click()
    await until(lambda: stk.table.model().rowCount() > before, f"the prompt to {phone}")


async def stage(view: MainWindowView, temp: Path) -> None:
    """Act as the owner on the settings page, then as an attendant at the counter."""
    settings = view.findChild(SettingsPageView)
    charge_page = view.findChild(ChargePageView)
    stk = view.findChild(StkStatusPageView)
    payments = view.findChild(PaymentsPageView)
    assert settings and charge_page and stk and payments
    await until(lambda: payments.connection.text() == "● Live", "the demo to go live")
    show(view, "Payment settings")
    await press(settings.test_button, settings.local_status)
    await press(settings.push_button, settings.relay_status)
    await press(settings.verify_button, settings.relay_status)
    seed_history(demo_relay_db(temp))
    show(view, "Charge customer")
    for phone, plan in TODAY_PUSHES:
        await charge(charge_page, stk, phone, plan)
    model = stk.table.model()
    statuses = lambda: [model.index(r, 5).data() for r in range(model.rowCount())]  # noqa: E731
    await until(lambda: statuses().count("Waiting for PIN") == 1, "the prompts to settle")
    # The pictures show a form being filled in and a paid prompt.
    view.banner.show_status("")
    charge_page.plans_layout.itemAt(2).widget().click()
    charge_page.phone_edit.setText("0722 418 903")
    charge_page.status.show_status("")
    stk.table.selectRow(next(r for r in range(model.rowCount()) if model.index(r, 3).data()))


async def grab_all(view: MainWindowView, out: Path) -> list[str]:
    """Save every page at the picture sizes; the clipped widgets at every checked size."""
    problems: list[str] = []
    for width, height in CHECKED_SIZES:
        view.resize(width, height)
        for title, name in PAGES:
            show(view, title)
            await asyncio.sleep(0.4)  # let the layout settle
            problems += [f"{title} at {width}x{height}: {p}" for p in clipped_widgets(view)]
            if (width, height) in PICTURE_SIZES:
                path = out / f"{name}-{width}x{height}.png"
                view.grab().save(str(path))
                print(f"saved {path}")
    return problems


def dispute_one(relay_db: Path, phone: str) -> None:
    """Turn today's paid payment from `phone` disputed in the demo relay's store.

    What the relay records when M-PESA's two answers disagree; the feed brings it at its next
    long-poll, as it would bring a real dispute.
    """
    with sqlite3.connect(relay_db, timeout=30) as conn:
        provider_id, last_seq = conn.execute("SELECT id, last_seq FROM providers").fetchone()
        conn.execute(
            "UPDATE payments SET status = 'disputed', seq = ?, feed_json = NULL "
            "WHERE phone_number = ? AND "
            "status = 'paid' AND provider_id = ?",
            (last_seq + 1, phone, provider_id),
        )
        conn.execute("UPDATE providers SET last_seq = ? WHERE id = ?", (last_seq + 1, provider_id))
    conn.close()


async def grab_dispute(view: MainWindowView, temp: Path, out: Path) -> None:
    """The red alert and the disputed prompt on STK status, at the small size."""
    stk = view.findChild(StkStatusPageView)
    assert stk is not None
    dispute_one(demo_relay_db(temp), "254733902114")
    revoke(demo_relay_db(temp), "254733902114")
    await until(view.alert.isVisible, "the dispute alert")
    view.resize(*PICTURE_SIZES[0])
    show(view, "STK status")
    model = stk.table.model()
    stk.table.selectRow(
        next(r for r in range(model.rowCount()) if model.index(r, 5).data() == "Disputed")
    )
    await asyncio.sleep(0.4)  # let the layout settle
    path = out / "stk-status-disputed-1024x600.png"
    view.grab().save(str(path))
    print(f"saved {path}")


async def stage_and_grab(view: MainWindowView, temp: Path, out: Path, failed: list[str]) -> None:
    """Stage the demo, take the pictures, close the window."""
    try:
        view.resize(*PICTURE_SIZES[1])
        await stage(view, temp)
        failed += await grab_all(view, out)
        await grab_receipts(view, out)
        await grab_confirming(view, demo_relay_db(temp), out, PICTURE_SIZES, show)
        await grab_dispute(view, temp, out)
    except Exception as error:  # reported below, and the window still closes
        failed.append(f"{type(error).__name__}: {error}")
    finally:
        view.close()


Stage = Callable[[MainWindowView, Path, Path, list[str]], Coroutine[Any, Any, None]]


def run_demo(out_dir: Path, stage: Stage, first_screen: str | None = None) -> int:
    """Run the app once in demo mode; `stage(view, temp, out_dir, failed)` takes the pictures
    and closes the window. `first_screen` names a picture of the window as it appears."""
    out_dir.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as temp:
        # The demo makes its throwaway folder with tempfile: here, where the script finds it.
        tempfile.tempdir = temp

        def on_shown(view: MainWindowView) -> None:
            if first_screen is not None:
                # The first screen, while the demo's simulator and relay start.
                view.resize(*PICTURE_SIZES[0])
                view.grab().save(str(out_dir / first_screen))
            task = asyncio.ensure_future(stage(view, Path(temp), out_dir, failed))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)

        status = main(["--demo"], on_window_shown=on_shown)
        tempfile.tempdir = None
    for line in failed:
        print(line, file=sys.stderr)
    return status or (1 if failed else 0)


def run() -> int:
    """Parse arguments and run the app once in demo mode."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    return run_demo(args.out_dir, stage_and_grab, "starting-1024x600.png")


if __name__ == "__main__":
    sys.exit(run())
