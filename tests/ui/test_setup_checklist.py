"""After sign-in, an owner who has not finished setting up lands on the Getting started
checklist; an attendant lands on Charge customer (issue 13, item 9)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from bucket_desktop.services.app_settings import AppPaths
from bucket_desktop.services.owner_setup.checklist import Step
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.setup_checklist.checklist_page import SetupChecklist
from bucket_desktop.ui.setup_checklist.checklist_view import SetupChecklistView
from bucket_desktop.ui.shared_plans.plans_dialog import PlansDialogView
from bucket_desktop.ui.shell.connect_dialog_view import ConnectDialogView
from bucket_desktop.ui.shell.desktop import CHARGE_PAGE, CHECKLIST_PAGE, SETTINGS_PAGE, Desktop
from bucket_desktop.ui.shell.session import DesktopSession
from server_stub.testing import RunningRelay
from tests.ui.test_prompt_check import CANCELLING_PHONE
from tests.ui.test_settings_page import GOOD, click, fill, signed_in, type_into


def visible(kind: type[Any]) -> Any:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


def marks(desktop: Desktop) -> dict[Step, bool]:
    return {step: row.mark.text() == "✔" for step, row in desktop.checklist.view.rows.items()}


def checked(qtbot: QtBot, desktop: Desktop) -> dict[Step, bool]:
    """Check again and wait for the result."""
    summary = desktop.checklist.view.summary
    summary.show_status("")
    qtbot.mouseClick(desktop.checklist.view.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: summary.kind in (StatusKind.NEUTRAL, StatusKind.OK) and bool(summary.text())
    )
    return marks(desktop)


def test_a_new_owner_is_led_through_the_checklist_until_done(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = make_desktop(confirm=lambda _title, _question: True)
    window = desktop.window
    assert window.current_key() == CHARGE_PAGE  # before sign-in
    signed_in(run, desktop, relay, provider["owner_token"])
    qtbot.waitUntil(lambda: window.current_key() == CHECKLIST_PAGE)
    view = desktop.checklist.view
    assert marks(desktop) == {
        Step.RELAY: True,
        Step.SAVED: False,
        Step.PUSHED: False,
        Step.PROMPT: False,
        Step.PLANS: False,
    }
    assert relay.base_url in view.rows[Step.RELAY].state.text()
    assert "Push to relay" in view.rows[Step.PUSHED].state.text()
    assert not view.rows[Step.PROMPT].button.isEnabled()  # nothing on the relay to test yet
    qtbot.waitUntil(lambda: view.summary.text() == "4 steps to go.")
    every_word = " ".join(label.text() for label in view.findChildren(QLabel))
    assert "programmer" not in every_word and "HTTP" not in every_word

    # Each line's button leads to where the step is done.
    qtbot.mouseClick(view.rows[Step.SAVED].button, Qt.MouseButton.LeftButton)
    assert window.current_key() == SETTINGS_PAGE
    settings = desktop.settings_page.view
    fill(qtbot, settings, GOOD)
    assert click(qtbot, settings.local_status, settings.save_button) is StatusKind.OK
    assert click(qtbot, settings.relay_status, settings.push_button) is StatusKind.OK
    window.show_page(CHECKLIST_PAGE)  # opening the page checks again
    qtbot.waitUntil(lambda: marks(desktop)[Step.PUSHED])
    assert marks(desktop)[Step.SAVED] and not marks(desktop)[Step.PROMPT]

    qtbot.mouseClick(view.rows[Step.PROMPT].button, Qt.MouseButton.LeftButton)
    dialog = open_prompt_dialog_when_open(qtbot, desktop)
    assert window.current_key() == SETTINGS_PAGE
    type_into(qtbot, dialog.view.phone, CANCELLING_PHONE)
    qtbot.mouseClick(dialog.view.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.view.status.kind is StatusKind.OK)
    qtbot.waitUntil(lambda: "cancelled" in dialog.view.outcome.text(), timeout=30_000)
    dialog.view.close_button.click()
    qtbot.waitUntil(lambda: settings.proven.text().startswith("Proven"))

    window.show_page(CHECKLIST_PAGE)
    qtbot.mouseClick(view.rows[Step.PLANS].button, Qt.MouseButton.LeftButton)
    assert window.current_key() == CHARGE_PAGE
    qtbot.waitUntil(lambda: visible(PlansDialogView) is not None)
    visible(PlansDialogView).reject()  # the button leads to the editor; the plan is made here
    qtbot.waitUntil(lambda: visible(PlansDialogView) is None)
    body = {
        "name": "1 hour",
        "price": 20,
        "duration_minutes": 60,
        "account_reference": "WIFI",
        "transaction_desc": "1 hour",
    }
    run(desktop.window.session.client.call("POST", "plans/", body))
    window.show_page(CHECKLIST_PAGE)
    assert checked(qtbot, desktop) == dict.fromkeys(Step, True)
    assert view.summary.kind is StatusKind.OK and "Everything is set up" in view.summary.text()

    # Done: the next sign-in stays where the owner was.
    window.show_page(CHARGE_PAGE)
    signed_in(run, desktop, relay, provider["owner_token"])
    qtbot.waitUntil(lambda: desktop.checklist.complete is True)
    assert window.current_key() == CHARGE_PAGE
    assert CHECKLIST_PAGE in window.visible_keys()  # still reachable


def test_an_older_check_answering_late_does_not_overwrite_a_newer_one(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = make_desktop()
    signed_in(run, desktop, relay, provider["owner_token"])
    release = threading.Event()
    asked: list[bool] = []

    def plans_saved() -> bool:
        asked.append(True)
        if len(asked) == 1:
            release.wait(30)  # the first check is slow (a busy PC) and finds no plans
            return False
        return True  # the plans were saved meanwhile

    checklist = SetupChecklist(
        SetupChecklistView(), credentials_saved=lambda: False, plans_saved=plans_saved, actions={}
    )
    try:
        checklist.set_session(desktop.window.session)
        qtbot.waitUntil(lambda: len(asked) == 1)
        checklist.check_soon()  # Check again pressed while the first is still out
        summary = checklist.view.summary
        qtbot.waitUntil(lambda: summary.kind is StatusKind.NEUTRAL)
        assert summary.text() == "3 steps to go."
    finally:
        release.set()
    qtbot.waitUntil(lambda: len(checklist._tasks) == 0)
    assert summary.text() == "3 steps to go."  # not the first check's "4 steps to go."
    assert checklist.view.rows[Step.PLANS].mark.text() == "✔"
    assert checklist.complete is False


def open_prompt_dialog_when_open(qtbot: QtBot, desktop: Desktop) -> Any:
    panel = desktop.settings_page.relay_panel
    qtbot.waitUntil(
        lambda: panel.prompt_dialog is not None and panel.prompt_dialog.view.isVisible()
    )
    return panel.prompt_dialog


def test_an_attendant_lands_on_charge_customer(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = make_desktop()
    signed_in(run, desktop, relay, provider["attendant_token"])
    assert desktop.window.current_key() == CHARGE_PAGE
    assert CHECKLIST_PAGE not in desktop.window.visible_keys()
    qtbot.wait(200)  # no late check moves the attendant anywhere
    assert desktop.window.current_key() == CHARGE_PAGE


def test_change_relay_is_no_welcome(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: Any,
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    data_dir: Path,
) -> None:
    desktop = make_desktop()
    signed_in(run, desktop, relay, provider["owner_token"])
    session = DesktopSession(False, AppPaths.portable(data_dir), http, None)
    session.desktop = desktop
    asking = asyncio.ensure_future(session.change_relay())
    qtbot.waitUntil(lambda: visible(ConnectDialogView) is not None)
    shown = visible(ConnectDialogView)
    assert shown is not None
    words = " ".join(label.text() for label in shown.findChildren(QLabel))
    assert "Welcome" not in words and "Welcome" not in shown.windowTitle()
    assert "Sign in to a relay" in words and shown.relay_url.text() == relay.base_url
    assert shown.demo_button.isHidden() and shown.cancel_button.text() == "Cancel"
    shown.reject()
    qtbot.waitUntil(asking.done)
    assert desktop.window.session is not None  # Cancel keeps the desk signed in
