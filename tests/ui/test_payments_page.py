"""Payments page against a real relay: live rows, search and filters, export, relay restart."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bucket_desktop.services.payment_book import PaymentBook
from bucket_desktop.services.plans import default_plans
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.ui.payments.payments_model import (
    COL_AMOUNT,
    COL_PHONE,
    COL_RECEIPT,
    COL_STATUS,
    COL_TIME,
    PaymentsTableModel,
)
from bucket_desktop.ui.shell.counter_pages import CounterPages
from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.testing import RunningRelay, relay_environment
from tests.ports import kept_port
from tests.server_stub.claimed_relay import claimed_relay
from tests.services.test_payment_book import NOW, item
from tests.ui.counter_support import (
    FAST_RELAY_ENV,
    RecordingClient,
    counter_pages,
    fast_relay,  # noqa: F401 (the relay fixture)
    new_provider,
)

SETTLE_MS = 30_000


def charge(qtbot: QtBot, pages: CounterPages, phone: str, plan: int = 1) -> None:
    """Send a push from the Charge page and wait until the relay accepted it."""
    view = pages.charge_view
    pages.charge.use_plan(default_plans()[plan])
    view.phone_edit.setText(phone)
    view.status.show_status("")
    view.send_button.click()
    qtbot.waitUntil(lambda: view.status.text().startswith("Prompt sent"))


def shown(pages: CounterPages, column: int) -> list[str]:
    model = pages.payments.model
    return [model.index(row, column).data() for row in range(model.rowCount())]


def settled(pages: CounterPages, count: int) -> Callable[[], bool]:
    book = pages.live.book
    return lambda: len(book) == count and not any(r.is_pending for r in book.newest_first())


def test_new_payments_appear_live_with_totals_and_a_notification(
    qtbot: QtBot, run: Callable[..., Any], http: httpx.AsyncClient, relay: RunningRelay
) -> None:
    provider = new_provider(relay)
    with counter_pages(qtbot, run, http, relay, provider["attendant_token"]) as pages:
        view = pages.payments_view
        assert view.connection.text() == "● Live"
        charge(qtbot, pages, "0708 374 149")
        charge(qtbot, pages, "0700 000 002")
        qtbot.waitUntil(settled(pages, 2), timeout=SETTLE_MS)
        assert shown(pages, COL_PHONE) == ["0700 000 002", "0708 374 149"]
        qtbot.waitUntil(
            lambda: shown(pages, COL_STATUS) == ["Cancelled", "Paid ✓"], timeout=SETTLE_MS
        )
        qtbot.waitUntil(lambda: view.today_card.value.text() == "KES 20")
        assert view.today_card.note.text() == "1 payment"
        assert view.chart.days()[-1].amount == 20
        assert pages.tray is not None and pages.tray.last_notification is not None
        title, text = pages.tray.last_notification
        assert title == "Paid: KES 20" and text.startswith("From 0708 374 149 · receipt ")
        assert view.count_label.text() == "2 payments"


def test_search_and_filters_then_export_writes_exactly_the_rows_shown(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: httpx.AsyncClient,
    relay: RunningRelay,
    tmp_path: Path,
) -> None:
    provider = new_provider(relay)
    target = tmp_path / "export.csv"
    token = provider["attendant_token"]
    with counter_pages(qtbot, run, http, relay, token, export_to=target) as pages:
        for phone in ("0708 374 149", "0712 000 111", "0700 000 005", "0712 000 222"):
            charge(qtbot, pages, phone)
        qtbot.waitUntil(settled(pages, 4), timeout=SETTLE_MS)
        view = pages.payments_view
        qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert view.search_edit.hasFocus()
        qtbot.keyClicks(view.search_edit, "0712 000")
        qtbot.waitUntil(lambda: pages.payments.model.rowCount() == 2)
        assert view.count_label.text() == "2 of 4 payments"
        view.search_edit.clear()
        view.status_combo.setCurrentText("Paid")
        view.period_combo.setCurrentText("Today")
        assert pages.payments.model.rowCount() == 3
        receipts = shown(pages, COL_RECEIPT)
        qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.status.text().startswith("Exported 3 payments"))
        with target.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.DictReader(handle))
        assert [r["M-PESA receipt"] for r in records] == receipts  # headers in words
        assert {r["Status"] for r in records} == {"paid"}
        view.period_combo.setCurrentText("Yesterday")
        assert pages.payments.model.rowCount() == 0
        assert not view.export_button.isEnabled()


def test_a_restart_shows_the_saved_payments_at_once_and_resumes_from_the_cursor(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: httpx.AsyncClient,
    relay: RunningRelay,
    tmp_path: Path,
) -> None:
    provider = new_provider(relay)
    token = provider["attendant_token"]
    with counter_pages(qtbot, run, http, relay, token, cache_dir=tmp_path) as pages:
        charge(qtbot, pages, "0708 374 149")
        charge(qtbot, pages, "0712 000 555")
        qtbot.waitUntil(settled(pages, 2), timeout=SETTLE_MS)
        cursor = pages.live.cursor
        qtbot.waitUntil(lambda: len(list(tmp_path.glob("payments-*.sqlite3"))) == 1)
    # Another desk charges a customer while this app is closed.
    other = RelayClient(http, relay.base_url, provider["owner_token"])
    run(other.initiate(phone_number="254712000666", amount=20,
                       account_reference="DESK2", transaction_desc="WiFi"))  # fmt: skip
    recording = RecordingClient(http, relay.base_url, token)
    with counter_pages(
        qtbot, run, http, relay, token, cache_dir=tmp_path, client=recording
    ) as again:
        qtbot.waitUntil(settled(again, 3), timeout=SETTLE_MS)
        assert 0 not in recording.cursors and cursor in recording.cursors
        phones = sorted(shown(again, COL_PHONE))
        assert phones == ["0708 374 149", "0712 000 555", "0712 000 666"]
        assert again.live.cursor > cursor
    # A different provider on the same relay never sees the saved payments.
    stranger = new_provider(relay, "Another shop")
    token = stranger["attendant_token"]
    with counter_pages(qtbot, run, http, relay, token, cache_dir=tmp_path) as theirs:
        assert len(theirs.live.book) == 0
        assert theirs.payments.model.rowCount() == 0


def test_two_quick_sign_ins_leave_one_feed_for_the_last_one(
    qtbot: QtBot, run: Callable[..., Any], http: httpx.AsyncClient, relay: RunningRelay
) -> None:
    first, second = new_provider(relay, "First shop"), new_provider(relay, "Second shop")
    with counter_pages(qtbot, run, http, relay, first["attendant_token"]) as pages:
        charge(qtbot, pages, "0708 374 149")
        qtbot.waitUntil(settled(pages, 1), timeout=SETTLE_MS)
        again = RelayClient(http, relay.base_url, first["attendant_token"])
        other = RelayClient(http, relay.base_url, second["attendant_token"])
        run(asyncio.gather(pages.set_client(again), pages.set_client(other)))
        qtbot.waitUntil(lambda: pages.live.state.value == "live")
        assert pages.live.client is other
        # A new payment of the first shop must not reach the second shop's pages.
        owner = RelayClient(http, relay.base_url, first["owner_token"])
        push = run(owner.initiate(phone_number="254712000777", amount=10,
                                  account_reference="X", transaction_desc="WiFi"))  # fmt: skip
        paid = lambda: run(owner.status(push.checkout_request_id)).status == "paid"  # noqa: E731
        qtbot.waitUntil(paid, timeout=SETTLE_MS)
        # The second shop's own payment arrives after it; the first shop's never does.
        charge(qtbot, pages, "0712 000 888")
        qtbot.waitUntil(settled(pages, 1), timeout=SETTLE_MS)
        assert shown(pages, COL_PHONE) == ["0712 000 888"]


def test_after_a_sleep_the_feed_asks_again_from_its_cursor(
    qtbot: QtBot, run: Callable[..., Any], http: httpx.AsyncClient, relay: RunningRelay
) -> None:
    provider = new_provider(relay)
    token = provider["attendant_token"]
    recording = RecordingClient(http, relay.base_url, token)
    with counter_pages(qtbot, run, http, relay, token, client=recording) as pages:
        charge(qtbot, pages, "0708 374 149")
        qtbot.waitUntil(settled(pages, 1), timeout=SETTLE_MS)
        cursor, asked = pages.live.cursor, len(recording.cursors)
        run(pages.live.resume())
        qtbot.waitUntil(lambda: len(recording.cursors) > asked)
        assert recording.cursors[asked] == cursor
        qtbot.waitUntil(lambda: pages.live.state.value == "live")
        charge(qtbot, pages, "0712 000 999")
        qtbot.waitUntil(settled(pages, 2), timeout=SETTLE_MS)
        assert pages.payments.model.rowCount() == 2


def test_a_relay_crash_and_restart_loses_and_repeats_nothing(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: httpx.AsyncClient,
    simulator: RunningSimulator,
    tmp_path: Path,
) -> None:
    env = relay_environment(
        tmp_path / "relay", {"DARAJA_BASE_URL": simulator.base_url, **FAST_RELAY_ENV}
    )
    (tmp_path / "relay").mkdir()
    log = tmp_path / "relay.log"
    # The restart must come back at the same address; the port is kept from anyone else.
    with kept_port() as port, claimed_relay(env, log, port) as first:
        provider = new_provider(first)
        with counter_pages(qtbot, run, http, first, provider["attendant_token"]) as pages:
            charge(qtbot, pages, "0708 374 149")
            charge(qtbot, pages, "0712 000 333")
            qtbot.waitUntil(settled(pages, 2), timeout=SETTLE_MS)
            first.kill()  # a crash: no goodbye to the long-poll
            badge = pages.payments_view.connection
            qtbot.waitUntil(lambda: badge.text() == "Reconnecting…")
            assert pages.tray is not None and "cannot be reached" in pages.tray.tooltip
            with claimed_relay(env, log, port) as restarted:
                assert restarted.base_url == first.base_url
                # Another desk charges a customer while this one is still reconnecting.
                other = RelayClient(http, first.base_url, provider["owner_token"])
                run(other.initiate(phone_number="254712000444", amount=50,
                                   account_reference="DESK2", transaction_desc="WiFi"))  # fmt: skip
                qtbot.waitUntil(settled(pages, 3), timeout=SETTLE_MS)
                qtbot.waitUntil(lambda: badge.text() == "● Live")
                assert pages.payments.model.rowCount() == 3
                assert sorted(shown(pages, COL_PHONE)) == [
                    "0708 374 149",
                    "0712 000 333",
                    "0712 000 444",
                ]
                assert {word[:4] for word in shown(pages, COL_STATUS)} == {"Paid"}
                assert pages.live.cursor == max(r.seq for r in pages.live.book.newest_first())


def test_the_model_updates_only_the_rows_that_changed(qapp: Any) -> None:
    book = PaymentBook(tz=UTC, clock=lambda: NOW)
    book.apply([item("a", 1, status="pending"), item("b", 2, created=NOW + 60)])
    model = PaymentsTableModel(tz=UTC)
    model.set_rows(book.newest_first())
    changed: list[tuple[int, int]] = []
    inserted: list[tuple[int, int]] = []
    model.dataChanged.connect(
        lambda top, bottom, _roles=(): changed.append((top.row(), bottom.row()))
    )
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    update = book.apply([item("a", 3, receipt="SKL9")])
    model.refresh(update.updated)
    assert changed == [(1, 1)]
    assert model.index(1, COL_STATUS).data() == "Paid ✓"  # a relay from before confirmation
    assert model.index(1, COL_RECEIPT).data() == "SKL9"
    assert model.index(1, COL_PHONE).data() == "0712 345 678"
    assert model.index(1, COL_AMOUNT).data() == "KES 50"
    assert model.index(1, COL_TIME).data() == "26 Nov 12:00"
    assert model.index(1, COL_STATUS).data(Qt.ItemDataRole.ToolTipRole) == (
        "Paid: M-PESA receipt SKL9."
    )
    fresh = book.apply([item("c", 4, created=NOW + 120)])
    model.insert_on_top(fresh.added)
    assert inserted == [(0, 0)] and model.rowCount() == 3
    assert model.row_at(0) is book.get("c") and model.position_of("a") == 2
