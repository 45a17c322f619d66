"""STK status page against a real relay and the simulator: every scenario's final state."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from bucket_desktop.services.mpesa_rules import result_meaning
from bucket_desktop.services.pushes import PushForm, start_push
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_models import PaymentItem
from bucket_desktop.ui.shell.counter_pages import CounterPages
from bucket_desktop.ui.stk_status import stk_status_page
from server_stub.daraja_sim.testing import RunningSimulator
from tests.ui.counter_support import (  # noqa: F401 (fixtures)
    Answers,
    answers_fixture,
    counter_pages,
    fast_relay,
    pages_fixture,
)
from tests.ui.held_answer import FirstAnswerHeld

SETTLE_MS = 30_000


def charge(qtbot: QtBot, pages: CounterPages, phone: str, amount: str = "20") -> None:
    """Type a push on the Charge page and press Enter."""
    view = pages.charge_view
    view.phone_edit.clear()
    qtbot.keyClicks(view.phone_edit, phone)
    view.amount_edit.setText(amount)
    view.reference_edit.setText("WIFI")
    view.desc_edit.setText("WiFi")
    qtbot.keyClick(view.desc_edit, Qt.Key.Key_Return)


# Phone -> how the relay settles it. A query confirms payment without a receipt number. Every
# paid sale is confirmed by the relay's STK query and then gets its access code.
PAID_SCENARIOS = {
    "0708374149": "callback",
    "0700000007": "callback",  # duplicate callback
    "0700000008": "query",  # late callback: the query settles first, the callback adds the receipt
    "0700000009": "callback",  # callback before the push response
}
FAILED_SCENARIOS = {
    "0700000001": ("Failed", "1"),
    "0700000002": ("Cancelled", "1032"),
    "0700000003": ("Phone unreachable", "1037"),
    "0700000004": ("Expired", "1019"),
    "0700000005": ("Failed", "2001"),
}


def wait_final(qtbot: QtBot, pages: CounterPages) -> None:
    status = pages.stk_status
    qtbot.waitUntil(lambda: status.selected is not None, timeout=SETTLE_MS)
    qtbot.waitUntil(lambda: not status.selected.is_pending, timeout=SETTLE_MS)  # type: ignore[union-attr]


def wait_confirmed(qtbot: QtBot, pages: CounterPages) -> None:
    view = pages.stk_status_view
    qtbot.waitUntil(lambda: view.state_word.text() == "Paid ✓", timeout=SETTLE_MS)


@pytest.mark.parametrize("phone", list(PAID_SCENARIOS))
def test_paid_scenarios_are_confirmed_and_show_a_large_copyable_access_code(
    qtbot: QtBot, pages: CounterPages, phone: str
) -> None:
    charge(qtbot, pages, phone)
    wait_final(qtbot, pages)
    wait_confirmed(qtbot, pages)
    view = pages.stk_status_view
    row = pages.stk_status.selected
    assert row is not None and row.phone_number == "254" + phone[1:]
    assert row.resolved_by == PAID_SCENARIOS[phone]
    assert row.access is not None
    card = view.access_card
    qtbot.waitUntil(lambda: card.isVisible(), timeout=SETTLE_MS)
    code = card.code.text()
    assert code == row.access.code and len(code) == 8
    assert set(code) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    # Large: the code's font is well above the page's body text.
    assert card.code.fontInfo().pixelSize() >= 2 * view.sentence.fontInfo().pixelSize()
    # Charged without a relay plan: no duration to count down.
    assert card.terms.text() == "no time limit (sold without a plan) · Delivered"
    assert view.sentence.text().endswith("Give the customer this access code.")
    assert not view.receipt_box.isVisible() and not view.dispute_box.isVisible()
    assert card.print_button.isEnabled()
    qtbot.mouseClick(card.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == code
    assert view.status.text() == "Code copied."
    assert not view.resend_button.isVisible()  # nothing to resend; Check now steps back
    assert view.check_button.objectName() == "actionButton"


def test_a_paid_callback_shows_confirming_until_the_query_agrees(
    qtbot: QtBot, pages: CounterPages, run: Any
) -> None:
    charge(qtbot, pages, "0708374149")
    wait_final(qtbot, pages)
    wait_confirmed(qtbot, pages)
    row = pages.stk_status.selected
    assert row is not None and pages.live.client is not None
    confirmed = run(pages.live.client.status(row.checkout_request_id))
    # The same payment as the feed brought it between the callback and the confirming query.
    confirming = dataclasses.replace(
        confirmed, confirmation="pending", access=None, seq=(confirmed.seq or 0) + 1
    )
    pages.live.apply_items((confirming,))
    view = pages.stk_status_view
    assert view.state_word.text() == "Paid · confirming…"
    assert view.state_word.property("kind") == "pending"
    assert "double-checking with M-PESA" in view.sentence.text()
    assert not view.access_card.isVisible()
    pages.live.apply_items((dataclasses.replace(confirmed, seq=(confirmed.seq or 0) + 2),))
    assert view.state_word.text() == "Paid ✓"
    assert view.access_card.isVisible() and view.access_card.code.text() == row.access.code  # type: ignore[union-attr]


def test_a_query_that_disagrees_turns_the_payment_red_with_no_code(
    qtbot: QtBot, pages: CounterPages
) -> None:
    charge(qtbot, pages, "0700000010")  # the callback says paid, the confirming query does not
    view = pages.stk_status_view
    qtbot.waitUntil(lambda: view.state_word.text() == "Disputed", timeout=SETTLE_MS)
    assert view.state_word.property("kind") == "bad"
    assert view.dispute_box.isVisible()
    advice = view.dispute_box.text.text()
    assert "M-PESA SMS" in advice and "statement" in advice and "Safaricom" in advice
    assert not view.access_card.isVisible() and not view.receipt_box.isVisible()
    row = pages.stk_status.selected
    assert row is not None
    if row.access is not None:  # given at the callback, then revoked: never shown
        assert row.access.state == "revoked"
        assert row.access.code not in advice


@pytest.mark.parametrize("phone", list(FAILED_SCENARIOS))
def test_unpaid_scenarios_say_what_happened_in_plain_words(
    qtbot: QtBot, pages: CounterPages, phone: str
) -> None:
    word, code = FAILED_SCENARIOS[phone]
    charge(qtbot, pages, phone)
    wait_final(qtbot, pages)
    view = pages.stk_status_view
    assert view.state_word.text() == word
    assert view.sentence.text() == result_meaning(code).sentence
    assert not view.receipt_box.isVisible()
    assert view.resend_button.isEnabled()


def test_a_lost_callback_is_settled_by_the_relay_query_without_a_receipt(
    qtbot: QtBot, pages: CounterPages
) -> None:
    charge(qtbot, pages, "0700000006")
    wait_final(qtbot, pages)
    wait_confirmed(qtbot, pages)
    view = pages.stk_status_view
    assert view.sentence.text() == "Paid (confirmed by M-PESA). Give the customer this access code."
    assert view.access_card.isVisible() and not view.access_card.mpesa.isVisible()
    assert not view.receipt_box.isVisible()
    assert "confirmed by an M-PESA status check" in view.details.text()


def test_a_push_answered_with_500_still_shows_up_paid_when_the_customer_pays(
    qtbot: QtBot, pages: CounterPages
) -> None:
    charge(qtbot, pages, "0700000011")
    status = pages.charge_view.status
    qtbot.waitUntil(lambda: "may still reach the phone" in status.text())
    book = pages.live.book
    qtbot.waitUntil(lambda: len(book) == 1, timeout=SETTLE_MS)
    row = book.newest_first()[0]
    qtbot.waitUntil(lambda: row.status.value == "paid", timeout=SETTLE_MS)
    assert row.phone_number == "254700000011" and row.receipt
    assert pages.stk_status.model.rowCount() == 1
    assert pages.payments.model.rowCount() == 1


def test_spike_arrest_is_refused_on_the_charge_page(qtbot: QtBot, pages: CounterPages) -> None:
    charge(qtbot, pages, "0700000012")
    status = pages.charge_view.status
    qtbot.waitUntil(lambda: status.text().startswith("The prompt was not sent."))
    assert pages.charge_view.send_button.isEnabled()
    assert pages.stk_status.selected is None


def test_waiting_prompt_counts_down_and_check_now_asks_the_relay(
    qtbot: QtBot, pages: CounterPages, simulator: RunningSimulator
) -> None:
    simulator.set_phone_scenario("254711000222", "lost_callback")
    charge(qtbot, pages, "0711 000 222")
    view = pages.stk_status_view
    qtbot.waitUntil(lambda: pages.stk_status.selected is not None)
    assert view.state_word.text() == "Waiting for PIN"
    assert view.countdown.isVisible()
    assert "closes on the customer's phone in about" in view.countdown_label.text()
    qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.status.text().startswith("Checked at"))
    wait_final(qtbot, pages)
    wait_confirmed(qtbot, pages)
    # "Checked at" belongs to that prompt: the next one shows without it.
    checked = pages.stk_status.selected
    charge(qtbot, pages, "0708374149")
    qtbot.waitUntil(lambda: pages.stk_status.selected is not checked)
    assert not view.status.text().startswith("Checked at")


def test_resend_asks_first_and_explains_the_relay_one_minute_guard(
    qtbot: QtBot, pages: CounterPages, answers: Answers
) -> None:
    charge(qtbot, pages, "0700000002")
    wait_final(qtbot, pages)
    first = pages.stk_status.selected
    view = pages.stk_status_view
    answers.answer = False
    qtbot.mouseClick(view.resend_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(answers.asked) == 1)
    assert "did not succeed (The customer cancelled the prompt.)" in answers.asked[0]
    assert pages.stk_status.selected is first
    answers.answer = True
    qtbot.mouseClick(view.resend_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "less than a minute ago" in view.status.text())
    assert view.status.text().startswith("The prompt was not sent")
    assert view.resend_button.isEnabled()
    assert pages.stk_status.model.rowCount() == 1


def test_a_check_answering_after_another_prompt_was_chosen_is_not_said_of_it(
    qtbot: QtBot, pages: CounterPages, monkeypatch: pytest.MonkeyPatch
) -> None:
    charge(qtbot, pages, "0708374149")
    wait_final(qtbot, pages)
    checked = pages.stk_status.selected
    charge(qtbot, pages, "0700000001")
    qtbot.waitUntil(lambda: pages.stk_status.selected is not checked, timeout=SETTLE_MS)
    other = pages.stk_status.selected
    assert checked is not None and other is not None
    held = FirstAnswerHeld(monkeypatch, RelayClient, "status")
    view = pages.stk_status_view
    pages.stk_status.select(checked.checkout_request_id)
    try:
        qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: held.asked == 1)
        pages.stk_status.select(other.checkout_request_id)  # the attendant looks at another
        assert pages.stk_status.selected is other
    finally:
        held.release.set()
    qtbot.waitUntil(lambda: held.answered, timeout=SETTLE_MS)
    assert pages.stk_status.selected is other
    assert not view.status.text().startswith("Checked at"), view.status.text()


def test_a_check_answering_after_sign_out_stays_out_of_the_next_book(
    qtbot: QtBot, run: Any, pages: CounterPages, monkeypatch: pytest.MonkeyPatch
) -> None:
    charge(qtbot, pages, "0708374149")
    wait_final(qtbot, pages)
    held = FirstAnswerHeld(monkeypatch, RelayClient, "status")
    view = pages.stk_status_view
    try:
        qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: held.asked == 1)
        run(pages.set_client(None))  # signed out while the relay is asked
    finally:
        held.release.set()
    qtbot.waitUntil(lambda: held.answered, timeout=SETTLE_MS)
    assert len(pages.live.book) == 0
    assert pages.stk_status.model.rowCount() == 0
    assert pages.payments.model.rowCount() == 0


def test_a_resend_answering_after_sign_out_stays_out_of_the_next_book(
    qtbot: QtBot, run: Any, pages: CounterPages, monkeypatch: pytest.MonkeyPatch
) -> None:
    charge(qtbot, pages, "0700000002")
    wait_final(qtbot, pages)

    async def to_another_phone(client: RelayClient, form: PushForm) -> PaymentItem:
        # The relay refuses a second prompt to a phone within a minute (tested above): this one
        # goes to another phone, so that the relay accepts it.
        return await start_push(client, dataclasses.replace(form, phone_number="254700000001"))

    monkeypatch.setattr(stk_status_page, "start_push", to_another_phone)
    held = FirstAnswerHeld(monkeypatch, stk_status_page, "start_push")
    view = pages.stk_status_view
    try:
        qtbot.mouseClick(view.resend_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: held.asked == 1)
        run(pages.set_client(None))  # signed out while the relay is asked
    finally:
        held.release.set()
    qtbot.waitUntil(lambda: held.answered)
    assert view.status.text() == "A new prompt was sent."  # it was
    assert len(pages.live.book) == 0  # but not into the book of whoever signs in next
    assert pages.stk_status.model.rowCount() == 0
