"""Every page fits a 1024x600 netbook and a full HD screen: nothing cut off or out of reach."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.exceptions import TimeoutError as WaitTimeout
from pytestqt.qtbot import QtBot

from bucket_desktop.demo import demo_credentials
from bucket_desktop.ui.common.fit_check import clipped_widgets
from bucket_desktop.ui.shell.desktop import Desktop
from server_stub.testing import RunningRelay
from tests.ui.counter_support import new_provider

SIZES = ((1024, 600), (1920, 1080))


def paid_desktop(
    make_desktop: Callable[..., Desktop], relay: RunningRelay, run: Callable[..., Any], qtbot: QtBot
) -> Desktop:
    """An owner's desktop with filled settings and one paid prompt on STK status."""
    desktop = make_desktop()
    run(desktop.sign_in(relay.base_url, new_provider(relay)["owner_token"], remember=False))
    desktop.settings_page.prefill(demo_credentials(), "Filled in for the test, not saved yet.")
    charge = desktop.counter.charge_view
    qtbot.waitUntil(lambda: desktop.counter.live.state.value == "live")
    charge.phone_edit.setText("0708 374 149")
    charge.plans_layout.itemAt(3).widget().click()  # 1 week, KES 250
    charge.send_button.click()
    stk = desktop.counter.stk_status_view
    qtbot.waitUntil(lambda: bool(stk.receipt.text()))
    return desktop


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_no_page_cuts_off_a_button_label_or_receipt(
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    run: Callable[..., Any],
    qtbot: QtBot,
    width: int,
    height: int,
) -> None:
    desktop = paid_desktop(make_desktop, relay, run, qtbot)
    window = desktop.window
    window.view.resize(width, height)
    for key in window.visible_keys():
        assert window.show_page(key)
        # Qt lays pages out in posted events: wait for the layout to settle, then judge it.
        with contextlib.suppress(WaitTimeout):
            qtbot.waitUntil(lambda: not clipped_widgets(window.view))
        assert clipped_widgets(window.view) == [], key
    receipt = desktop.counter.stk_status_view.receipt
    assert receipt.width() >= receipt.sizeHint().width()
