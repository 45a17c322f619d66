"""A payment shown as paid that M-PESA later disputes: impossible to miss (issue 12, item 3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytestqt.qtbot import QtBot

from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.shell.desktop import PAYMENTS_PAGE, Desktop
from bucket_desktop.ui.shell.tray import CounterTray
from server_stub.testing import RunningRelay
from tests.ui.counter_support import new_provider

SETTLE_MS = 30_000


def test_paid_then_disputed_raises_a_red_alert_a_notice_and_drops_the_receipt(
    make_desktop: Callable[..., Desktop], relay: RunningRelay, run: Callable[..., Any], qtbot: QtBot
) -> None:
    desktop = make_desktop()
    run(desktop.sign_in(relay.base_url, new_provider(relay)["attendant_token"], remember=False))
    tray = CounterTray()
    live = desktop.counter.live
    live.payment_disputed.connect(tray.notify_disputed)
    qtbot.waitUntil(lambda: live.state.value == "live")
    charge = desktop.counter.charge_view
    charge.phone_edit.setText("0700 000 010")  # the callback says paid, the query does not
    charge.plans_layout.itemAt(0).widget().click()
    charge.send_button.click()
    stk = desktop.counter.stk_status_view
    # Shown as paid (still being confirmed) first, then the relay's confirming query disagrees.
    qtbot.waitUntil(lambda: stk.state_word.text() == "Paid · confirming…", timeout=SETTLE_MS)
    qtbot.waitUntil(lambda: stk.state_word.text() == "Disputed", timeout=SETTLE_MS)

    window = desktop.window
    assert window.view.alert.isVisible() and window.view.alert_ack.isVisible()
    assert "NOT PAID after all: KES 10 from 0700 000 010" in window.view.alert.text()
    assert tray.last_notification is not None
    assert tray.last_notification[0] == "Not paid after all: KES 10"
    assert not stk.receipt_box.isVisible()  # no green box that says "give access"
    assert not stk.access_card.isVisible() and stk.dispute_box.isVisible()
    assert not stk.resend_button.isVisible()
    assert "check the M-PESA statement" in stk.sentence.text()

    # It stays on every page and under other messages until someone acknowledges it.
    assert window.show_page(PAYMENTS_PAGE)
    window.show_message("Another message.", StatusKind.WARNING)
    window.clear_message()
    assert window.view.alert.isVisible()
    window.view.alert_ack.click()
    assert not window.view.alert.isVisible() and window.alerts == []
    # A repeat of the same feed page is no new dispute.
    row = desktop.counter.stk_status.selected
    assert row is not None and live.client is not None
    disputed = run(live.client.status(row.checkout_request_id))
    live.apply_items((disputed,))
    assert not window.view.alert.isVisible()
    tray.hide()
