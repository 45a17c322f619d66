"""Save the three counter pages, filled with demo data, as docs/*.png at 1366x768.

Usage: .venv/bin/python scripts/screenshot_counter_pages.py [--out-dir docs]

Like the demo, it starts the Daraja simulator and a relay on loopback, signs in, and charges a
few of the simulator's phone numbers through the Charge page, so today's payments are real
pushes. The 29 days before today are demo history added to the page's book only, so the
30-day chart has something to show.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import qasync
from PySide6.QtWidgets import QApplication

from bucket_desktop.app import load_style_sheet
from bucket_desktop.services.app_settings import AppSettings, SettingsFile
from bucket_desktop.services.mpesa_rules import normalise_phone
from bucket_desktop.services.plans import default_plans
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_models import Identity, PaymentItem
from bucket_desktop.ui.counter_pages import CounterPages, build_counter_pages
from bucket_desktop.ui.demo_help import demo_phones
from bucket_desktop.ui.main_window import MainWindow, Page, RelaySession
from bucket_desktop.ui.main_window_view import MainWindowView
from server_stub.daraja_sim import scenarios
from server_stub.daraja_sim.testing import RunningSimulator, running_simulator
from server_stub.testing import RunningRelay, running_relay

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1366, 768)
# Phones typed at the counter: paid ones, one cancelled, one wrong PIN, one still waiting.
TODAY_PUSHES = (
    ("0708 374 149", "1 hour"),
    ("0712 345 678", "1 day"),
    ("0700 000 002", "3 hours"),
    ("0722 418 903", "1 week"),
    ("0700 000 005", "1 hour"),
    ("0733 902 114", "1 day"),
    ("0711 250 778", "1 hour"),
)
WAITING_PHONE = "0745 118 206"


def new_provider(relay: RunningRelay, name: str) -> dict[str, str]:
    """A provider on the relay with the simulator's default paybill credentials."""
    provider = relay.cli("create-provider", "--name", name)
    credentials = {
        "consumer_key": scenarios.DEFAULT_CONSUMER_KEY,
        "consumer_secret": scenarios.DEFAULT_CONSUMER_SECRET,
        "shortcode": scenarios.DEFAULT_SHORTCODE,
        "passkey": scenarios.DEFAULT_PASSKEY,
        "environment": "sandbox",
        "account_type": "paybill",
    }
    relay.cli(
        "set-credentials", "--provider", str(provider["provider_id"]), input=json.dumps(credentials)
    )
    return provider


async def until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    """Wait for `condition()` or fail with what was awaited."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - polling widgets, which have no event
            await asyncio.sleep(0.05)
    del what


async def charge(pages: CounterPages, phone: str, plan_name: str) -> None:
    """Pick a plan, type the phone and send, like an attendant."""
    plan = next(p for p in default_plans() if p.name == plan_name)
    pages.charge.use_plan(plan)
    pages.charge_view.phone_edit.setText(phone)
    before = len(pages.live.book)
    pages.charge_view.send_button.click()
    await until(lambda: len(pages.live.book) > before, f"the push to {phone}")


def history(days: int = 29) -> tuple[PaymentItem, ...]:
    """Demo payments for the days before today and this morning (fixed seed: same picture)."""
    rng = random.Random(7)  # noqa: S311 - demo data, not security
    plans = default_plans()
    now = datetime.now(UTC)
    items = []
    for back in range(days, -1, -1):
        for n in range(rng.randint(18, 46) if back else 9):
            plan = rng.choices(plans, weights=(8, 5, 6, 2, 1))[0]
            minutes = rng.randint(0, 600) if back else 20 + 25 * n
            when = now - timedelta(days=back, minutes=minutes)
            paid = rng.random() > 0.12
            items.append(
                PaymentItem(
                    checkout_request_id=f"ws_CO_demo_{back}_{n}",
                    merchant_request_id=None,
                    status="paid" if paid else "cancelled",
                    phone_number=f"2547{rng.randint(10_000_000, 99_999_999)}",
                    amount=plan.amount,
                    account_reference=plan.account_reference,
                    transaction_desc=plan.transaction_desc,
                    mpesa_receipt_number=f"SK{rng.randint(10**7, 10**8 - 1)}X" if paid else None,
                    result_code="0" if paid else "1032",
                    result_desc=None,
                    resolved_by="callback",
                    created_at=when.isoformat(),
                    updated_at=None,
                    seq=0,
                )
            )
    return tuple(items)


async def stage(
    window: MainWindow, pages: CounterPages, relay: RunningRelay, sim: RunningSimulator, out: Path
) -> None:
    """Sign in, charge customers, then grab each page."""
    provider = new_provider(relay, "Kibera Net")
    async with httpx.AsyncClient(timeout=20.0) as http:
        client = RelayClient(http, relay.base_url, provider["attendant_token"])
        window.set_session(RelaySession(client, Identity("attendant", "Kibera Net", None)))
        await until(lambda: pages.live.state.value == "live", "the feed")
        pages.live.apply_items(history())
        pages.payments.reload()
        for phone, plan in TODAY_PUSHES:
            await charge(pages, phone, plan)
        # The simulator's "expired" customer never answers within the picture's lifetime.
        sim.set_phone_scenario(normalise_phone(WAITING_PHONE), "expired")
        await charge(pages, WAITING_PHONE, "1 day")
        settled = lambda: sum(r.is_pending for r in pages.live.book.newest_first()) <= 1  # noqa: E731
        await until(settled, "the pushes to settle")
        await asyncio.sleep(0.3)
        await grab_all(window, pages, out)
        await pages.close()


async def grab_all(window: MainWindow, pages: CounterPages, out: Path) -> None:
    """One picture per page."""
    view = window.view
    window.clear_message()
    # Charge: a plan picked and a number typed, ready to send.
    window.show_page("charge")
    pages.charge.use_plan(default_plans()[2])
    pages.charge_view.phone_edit.setText("0722 418 903")
    pages.charge_view.status.show_status("")
    await save(view, out / "charge-page.png")
    window.show_page("stk-status")
    today = pages.live.book.today()
    paid = next(r for r in pages.live.book.newest_first() if r.receipt and r.day == today)
    pages.stk_status.select(paid.checkout_request_id)
    await save(view, out / "stk-status-page.png")
    window.show_page("payments")
    await save(view, out / "payments-page.png")


async def save(view: MainWindowView, path: Path) -> None:
    """Let layouts settle, then save the window."""
    await asyncio.sleep(0.3)
    view.grab().save(str(path))
    print(f"saved {path}")


def build_window(pages: CounterPages, settings_dir: Path) -> MainWindow:
    """The app's main window with the three counter pages, as the desktop registers them."""
    window = MainWindow(MainWindowView(), AppSettings(), SettingsFile(settings_dir / "s.json"))
    window.add_page(Page("charge", "Charge customer", pages.charge_view))
    window.add_page(Page("stk-status", "STK status", pages.stk_status_view))
    window.add_page(Page("payments", "Payments", pages.payments_view, on_session=pages.on_session))
    window.view.resize(*SIZE)
    window.view.show()
    return window


def main() -> int:
    """Parse arguments, run the children and the pages, save the pictures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setStyleSheet(load_style_sheet())
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with (
        tempfile.TemporaryDirectory() as temp,
        running_simulator(callback_delay_s=0.5, prompt_lifetime_s=600) as sim,
    ):
        env = {"DARAJA_BASE_URL": sim.base_url, "RELAY_RECONCILE_FIRST_S": "2"}
        with running_relay(Path(temp), env=env) as relay:
            pages = build_counter_pages(
                plans=default_plans(), demo_phones=demo_phones(), feed_wait_s=5.0
            )
            window = build_window(pages, Path(temp))
            loop.run_until_complete(stage(window, pages, relay, sim, args.out_dir))
            window.view.close()
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
