"""Charge customer page: live checks while typing, presets, Enter sends, in-flight rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from bucket_desktop.services.plans import PlanStore, default_plans
from bucket_desktop.ui.charge import charge_page
from bucket_desktop.ui.shell.counter_pages import CounterPages, build_counter_pages
from server_stub.daraja_sim.testing import RunningSimulator
from tests.ui.counter_support import (  # noqa: F401 (fixtures)
    Answers,
    answers_fixture,
    counter_pages,
    fast_relay,
    pages_fixture,
)
from tests.ui.held_answer import FirstAnswerHeld


class EnabledStates(QObject):
    """Records each enabled/disabled change of a widget."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.seen: list[bool] = []
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.EnabledChange and isinstance(watched, QWidget):
            self.seen.append(watched.isEnabled())
        return False


@pytest.fixture
def offline(qtbot: QtBot, qloop: Any) -> CounterPages:
    """Pages that are not signed in: for the checks that need no relay."""
    built = build_counter_pages(plans=default_plans(), confirm=Answers(), with_tray=False)
    for view in (built.charge_view, built.stk_status_view, built.payments_view):
        qtbot.addWidget(view)
    built.charge_view.show()
    return built


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("0712 345 678", "Will prompt 0712 345 678 (254712345678)."),
        ("+254 712-345-678", "Will prompt 0712 345 678 (254712345678)."),
        ("0712 34", "That phone number is too short"),
        ("", "Any Kenyan form"),
        ("+44 7700 900123", "That is not a Kenyan number"),
        ("0612345678", "That is not a mobile number"),
    ],
)
def test_the_phone_is_checked_while_typing(
    qtbot: QtBot, offline: CounterPages, typed: str, hint: str
) -> None:
    qtbot.keyClicks(offline.charge_view.phone_edit, typed)
    label = offline.charge_view.phone_hint
    assert label.text().startswith(hint)
    kinds = {"Will": "ok", "Any": "neutral"}
    assert label.property("kind") == kinds.get(hint.split()[0], "error")


def test_a_plan_fills_amount_reference_and_description(qtbot: QtBot, offline: CounterPages) -> None:
    view = offline.charge_view
    day = view.plans_layout.itemAt(2).widget()
    assert day.text() == "1 day\nKES 50"
    qtbot.mouseClick(day, Qt.MouseButton.LeftButton)
    assert (view.amount_edit.text(), view.reference_edit.text()) == ("50", "WIFI1D")
    assert view.desc_edit.text() == "WiFi 1 day"
    assert view.reference_counter.text() == "6/12" and view.desc_counter.text() == "10/13"
    qtbot.mouseClick(day, Qt.MouseButton.LeftButton)  # the same plan again: still chosen
    assert day.isChecked()
    view.amount_edit.setText("60")
    assert not day.isChecked()


def test_tab_goes_phone_plans_amount_reference_description_send(
    qtbot: QtBot, offline: CounterPages
) -> None:
    view = offline.charge_view
    view.activateWindow()
    view.phone_edit.setFocus()
    seen = []
    for _ in range(8):
        widget = QApplication.focusWidget()
        seen.append(widget.text() if isinstance(widget, QPushButton) else widget)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    plan_labels = [plan.label for plan in default_plans()]
    assert seen == [view.phone_edit, *plan_labels, view.amount_edit, view.reference_edit]


def test_length_counters_and_limits(qtbot: QtBot, offline: CounterPages) -> None:
    view = offline.charge_view
    qtbot.keyClicks(view.reference_edit, "ROOM-12-EXTRA")
    assert view.reference_counter.text() == "13/12"
    assert view.reference_counter.property("kind") == "error"
    assert view.reference_hint.text() == (
        "The account reference can be at most 12 characters (it has 13)."
    )
    qtbot.keyClicks(view.amount_edit, "12.50")
    assert view.amount_hint.text() == "M-PESA takes whole shillings only: no cents."


def test_enter_with_bad_fields_sends_nothing_and_focuses_the_first_problem(
    qtbot: QtBot, offline: CounterPages
) -> None:
    view = offline.charge_view
    view.amount_edit.setText("50")
    view.amount_edit.setFocus()
    qtbot.keyClick(view.amount_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.status.text() != "")
    assert view.status.text() == "Fix the fields marked in red, then send again."
    assert view.phone_hint.text() == "Enter the customer's phone number."
    assert view.phone_edit.hasFocus()


def test_the_send_message_goes_once_the_form_changes(qtbot: QtBot, offline: CounterPages) -> None:
    view = offline.charge_view
    view.send_button.click()
    assert view.status.text() == "Fix the fields marked in red, then send again."
    qtbot.keyClicks(view.phone_edit, "0712345678")
    assert not view.status.isVisible()  # it spoke of the form as it was


def test_hints_keep_their_room_so_fields_stay_under_the_mouse(
    qtbot: QtBot, offline: CounterPages
) -> None:
    view = offline.charge_view
    view.resize(1100, 700)  # the phone's hints take one line or two at this width

    def amount_at() -> int:
        QApplication.processEvents()  # the layout settles in posted events
        return view.amount_edit.mapTo(view, view.amount_edit.rect().topLeft()).y()

    where = amount_at()
    for typed in ("0712345678", "07", "+44 7700 900123", ""):
        view.phone_edit.setText(typed)
        assert amount_at() == where, typed


def test_a_custom_amount_drops_the_plans_reference(qtbot: QtBot, offline: CounterPages) -> None:
    view = offline.charge_view
    offline.charge.use_plan(default_plans()[2])
    view.amount_edit.clear()
    qtbot.keyClicks(view.amount_edit, "60")
    assert view.reference_edit.text() == "" and view.desc_edit.text() == ""
    view.send_button.click()
    assert "e.g. WIFI1D" in view.reference_hint.text()  # says what to type
    assert view.amount_edit.placeholderText() == "Whole shillings"


def test_without_a_relay_the_page_says_so(qtbot: QtBot, offline: CounterPages) -> None:
    view = offline.charge_view
    offline.charge.use_plan(default_plans()[0])
    view.phone_edit.setText("0712345678")
    qtbot.keyClick(view.phone_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.status.text() != "")
    assert view.status.text() == "Not connected to a relay: sign in before charging customers."


def test_enter_sends_disables_send_while_in_flight_and_shows_the_push(
    qtbot: QtBot, pages: CounterPages
) -> None:
    view = pages.charge_view
    pages.charge.use_plan(default_plans()[1])
    qtbot.keyClicks(view.phone_edit, "0708 374 149")
    enabled_states = EnabledStates(view.send_button)
    qtbot.keyClick(view.phone_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.status.text().startswith("Prompt sent"))
    assert enabled_states.seen == [False, True]
    assert view.send_button.text() == "Send payment prompt"
    assert view.status.text() == (
        "Prompt sent to 0708 374 149: ask the customer to enter their M-PESA PIN."
    )
    assert view.phone_edit.text() == "" and view.amount_edit.text() == "20"
    selected = pages.stk_status.selected
    assert selected is not None and selected.amount == 20
    assert selected.account_reference == "WIFI3H"


def test_a_second_push_to_a_waiting_phone_needs_confirmation(
    qtbot: QtBot, pages: CounterPages, answers: Answers, simulator: RunningSimulator
) -> None:
    simulator.set_phone_scenario("254711000333", "expired")
    view = pages.charge_view
    pages.charge.use_plan(default_plans()[0])
    view.phone_edit.setText("0711 000 333")
    view.send_button.click()
    qtbot.waitUntil(lambda: view.status.text().startswith("Prompt sent"))
    answers.answer = False
    view.phone_edit.setText("0711000333")
    view.send_button.click()
    qtbot.waitUntil(lambda: view.status.text() == "Nothing was sent.")
    assert "still waiting for the customer's PIN" in answers.asked[0]
    assert len(pages.live.book) == 1
    answers.answer = True
    view.send_button.click()
    qtbot.waitUntil(lambda: "less than a minute ago" in view.status.text())
    assert len(answers.asked) == 2
    assert view.phone_hint.property("kind") == "error"


def test_the_owner_edits_plans_and_the_counter_uses_them(
    qtbot: QtBot, qloop: Any, tmp_path: Path
) -> None:
    store = PlanStore(tmp_path)
    built = build_counter_pages(plan_store=store, confirm=Answers(), with_tray=False)
    for view in (built.charge_view, built.stk_status_view, built.payments_view):
        qtbot.addWidget(view)
    edit = built.charge_view.edit_plans_button
    built.charge.set_can_edit_plans(False)
    assert edit.isHidden()
    built.charge.set_can_edit_plans(True)
    assert not edit.isHidden()
    dialog = built.charge.edit_plans()
    assert dialog is not None and dialog.view.table.rowCount() == 5
    dialog.add_plan()
    table = dialog.view.table
    for column, text in enumerate(("2 hours", "15", "WIFI2H", "WiFi 2 hours, long")):
        table.item(5, column).setText(text)
    dialog.view.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert dialog.view.status.text() == (
        "Plan 2 hours: The description can be at most 13 characters (it has 18)."
    )
    table.item(5, 3).setText("WiFi 2 hours")
    dialog.view.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: built.charge_view.status.text() == "The plans were saved.")
    assert [plan.name for plan in store.load()][-1] == "2 hours"
    assert built.charge_view.plans_layout.itemAt(5).widget().text() == "2 hours\nKES 15"


def test_a_damaged_plans_file_falls_back_to_the_standard_plans(
    qtbot: QtBot, qloop: Any, tmp_path: Path
) -> None:
    (tmp_path / "plans.json").write_text("{broken", encoding="utf-8")
    built = build_counter_pages(plan_store=PlanStore(tmp_path), with_tray=False)
    for view in (built.charge_view, built.stk_status_view, built.payments_view):
        qtbot.addWidget(view)
    assert built.charge.plans == default_plans()
    assert built.charge_view.status.text().startswith("The plans file is damaged (not JSON).")


def _push_held(
    qtbot: QtBot, pages: CounterPages, monkeypatch: pytest.MonkeyPatch
) -> FirstAnswerHeld:
    """A prompt for the second standard plan sent to 0708 374 149 from the page, its relay's
    answer held back until the test sets `release`."""
    held = FirstAnswerHeld(monkeypatch, charge_page, "start_push")
    pages.charge.use_plan(default_plans()[1])
    qtbot.keyClicks(pages.charge_view.phone_edit, "0708 374 149")
    qtbot.keyClick(pages.charge_view.phone_edit, Qt.Key.Key_Return)
    return held


def test_a_push_answered_after_sign_out_stays_out_of_the_next_book(
    qtbot: QtBot, run: Any, pages: CounterPages, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow relay: the desk signs out before the push is answered.
    held = _push_held(qtbot, pages, monkeypatch)
    view = pages.charge_view
    qtbot.waitUntil(lambda: not view.send_button.isEnabled())
    try:
        run(pages.set_client(None))  # signed out (or the relay refused this desk's token)
    finally:
        held.release.set()
    qtbot.waitUntil(lambda: held.answered)
    assert view.status.text().startswith("Prompt sent to 0708 374 149")  # it was sent
    assert len(pages.live.book) == 0  # but not into the book of whoever signs in next
    assert pages.stk_status.model.rowCount() == 0
    assert pages.stk_status.selected is None


def test_the_next_number_typed_while_the_relay_answers_stays(
    qtbot: QtBot, run: Any, pages: CounterPages, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow relay: the attendant types the next customer's number before the push is answered.
    held = _push_held(qtbot, pages, monkeypatch)
    view = pages.charge_view
    try:
        qtbot.waitUntil(lambda: held.asked == 1)
        view.phone_edit.selectAll()
        qtbot.keyClicks(view.phone_edit, "0712 345 678")
    finally:
        held.release.set()
    qtbot.waitUntil(lambda: held.answered)
    qtbot.waitUntil(lambda: view.status.text().startswith("Prompt sent to 0708 374 149"))
    assert view.phone_edit.text() == "0712 345 678"
