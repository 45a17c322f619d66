"""STK status controller: follows each prompt live, checks on demand, resends with care."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton
from qasync import asyncSlot

from bucket_desktop.i18n import _
from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_book import BookChange, PaymentFilter
from bucket_desktop.services.payment_rows import PaymentRow, format_phone, status_sentence
from bucket_desktop.services.pushes import PushForm, start_push
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.ui.access.access_card import AccessCard, PrintReceipt
from bucket_desktop.ui.charge.charge_page import Confirm
from bucket_desktop.ui.common.counter_common import refusal_sentence, set_kind
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.live_payments import LivePayments
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.payments.payments_model import (
    COL_AMOUNT,
    COL_PHONE,
    COL_STATUS,
    COL_TIME,
    PaymentsTableModel,
    status_word,
)
from bucket_desktop.ui.stk_status.prompt_countdown import PromptCountdown
from bucket_desktop.ui.stk_status.stk_status_page_view import StkStatusPageView
from bucket_desktop.ui.stk_status.stk_status_texts import details_text, resend_question

SHOWN_COLUMNS = (COL_TIME, COL_PHONE, COL_AMOUNT, COL_STATUS)
LIST_COLUMN_WIDTHS = {COL_TIME: 68, COL_PHONE: 98, COL_AMOUNT: 62}
STATE_KINDS = {
    PaymentStatus.PENDING: "pending",
    PaymentStatus.PAID: "paid",
    PaymentStatus.FAILED: "bad",
    PaymentStatus.DISPUTED: "bad",
    PaymentStatus.CANCELLED: "gone",
    PaymentStatus.EXPIRED: "gone",
}


class StkStatusPage(QObject):
    """Wires the STK status view; `select(checkout_id)` shows one prompt in detail."""

    resent = Signal(str)

    def __init__(
        self,
        view: StkStatusPageView,
        live: LivePayments,
        *,
        confirm: Confirm,
        print_receipt: PrintReceipt | None = None,
        prompt_lifetime_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.view = view
        self._live = live
        self._confirm = confirm
        self._clock = clock
        self._tasks = TaskSet()
        self._session_ids: set[str] = set()
        self._selected: PaymentRow | None = None
        # Parented to its view, so Qt deletes it after the view that uses it.
        self.model = PaymentsTableModel(view.table, with_day=False)
        view.table.setModel(self.model)
        for column in range(self.model.columnCount()):
            view.table.setColumnHidden(column, column not in SHOWN_COLUMNS)
        for column, width in LIST_COLUMN_WIDTHS.items():
            view.table.setColumnWidth(column, width)
        view.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        view.check_button.clicked.connect(self.check_now)
        view.resend_button.clicked.connect(self.resend)
        view.copy_button.clicked.connect(self.copy_receipt)
        self.access = AccessCard(
            view.access_card,
            view.dispute_box,
            view.status,
            print_receipt=print_receipt or _print_unavailable,
            tz=live.book.days.tz,
            clock=clock,
        )
        self._countdown = PromptCountdown(view, self, lifetime_s=prompt_lifetime_s, clock=clock)
        # At midnight the list of today's prompts starts again.
        self._shown_day = live.book.today()
        self._day_timer = QTimer(self, interval=30_000)
        self._day_timer.timeout.connect(self._check_day)
        self._day_timer.start()
        live.book_changed.connect(self._on_book_changed)
        live.book_replaced.connect(self.reload)
        self.reload()

    @property
    def selected(self) -> PaymentRow | None:
        """The prompt shown in detail."""
        return self._selected

    def track(self, checkout_request_id: str) -> None:
        """Count a push of this session (shown even after midnight) and show it."""
        self._session_ids.add(checkout_request_id)
        if self.model.position_of(checkout_request_id) is None:
            self.reload()
        self.select(checkout_request_id)

    def select(self, checkout_request_id: str) -> None:
        """Show one prompt in detail and highlight it in the list."""
        position = self.model.position_of(checkout_request_id)
        if position is None:
            return
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.table.selectionModel().setCurrentIndex(self.model.index(position, 0), flags)

    def _check_day(self) -> None:
        if self._live.book.today() != self._shown_day:
            self.reload()

    def reload(self) -> None:
        """Rebuild the list from the book: today's prompts and this session's."""
        book = self._live.book
        today = book.today()
        self._shown_day = today
        rows = book.newest_first(PaymentFilter(first_day=today, last_day=today))
        shown = {row.checkout_request_id for row in rows}
        extra = [book.get(i) for i in self._session_ids if i not in shown]
        rows += [row for row in extra if row is not None]
        rows.sort(key=lambda row: row.created, reverse=True)
        keep = self._selected.checkout_request_id if self._selected else None
        self.model.set_rows(rows)
        self.view.empty_label.setVisible(not rows)
        if keep is not None:
            self.select(keep)
        self._show(self._selected if keep and self._live.book.get(keep) else None)

    def _on_book_changed(self, change: BookChange) -> None:
        today = self._live.book.today()
        fresh = [row for row in change.added if row.day == today]
        top = self.model.row_at(0)
        if fresh and (top is None or min(r.created for r in fresh) >= top.created):
            self.model.insert_on_top(sorted(fresh, key=lambda r: r.created, reverse=True))
            self.view.empty_label.hide()
        elif fresh:
            self.reload()
        self.model.refresh(change.updated)
        if self._selected is not None and any(r is self._selected for r in change.updated):
            self._show(self._selected)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show(self.model.row_at(current.row()))

    def _show(self, row: PaymentRow | None) -> None:
        if row is not self._selected:
            # "Checked at …", "Receipt copied." speak of one prompt: they go with it.
            self.view.status.show_status("")
        self._selected = row
        view = self.view
        has_row = row is not None
        for widget in (view.check_button, view.resend_button, view.details):
            widget.setVisible(has_row)
        if row is None:
            view.push_title.setText("")
            set_kind(view.state_word, _("Choose a prompt"), "")
            view.sentence.setText(_("Prompts sent from Charge customer appear in the list."))
            view.receipt_box.hide()
            self.access.show(None)
            self._countdown.show(None)
            return
        view.push_title.setText(
            _("{phone} · KES {amount}").format(
                phone=format_phone(row.phone_number), amount=f"{row.amount:,}"
            )
        )
        confirming = row.status is PaymentStatus.PAID and not row.is_confirmed
        set_kind(
            view.state_word, status_word(row), "pending" if confirming else STATE_KINDS[row.status]
        )
        view.sentence.setText(status_sentence(row))
        view.receipt.setText(row.receipt)
        # The green receipt box means "give access": never for a disputed payment. A payment with
        # an access shows the code instead, with the receipt under it.
        paid = row.status is PaymentStatus.PAID
        shown = bool(row.receipt) and paid and row.is_confirmed and row.access is None
        view.receipt_box.setVisible(shown)
        self.access.show(row)
        view.details.setText(details_text(row))
        # Resend makes sense only for a prompt that failed or may not have arrived; Check now
        # leads while the answer is still open, and steps back once the payment is settled.
        view.resend_button.setVisible(
            row.status not in (PaymentStatus.PAID, PaymentStatus.DISPUTED)
        )
        view.resend_button.setEnabled(True)
        _set_role(view.check_button, "primaryButton" if row.is_pending else "actionButton")
        self._countdown.show(row)

    def copy_receipt(self) -> None:
        """Put the receipt number on the clipboard."""
        if self._selected is not None and self._selected.receipt:
            QGuiApplication.clipboard().setText(self._selected.receipt)
            self.view.status.show_status(_("Receipt copied."), StatusKind.OK)

    @asyncSlot()
    async def check_now(self) -> None:
        """Ask the relay for this prompt's state now (it may ask M-PESA)."""
        row, client = self._selected, self._live.client
        if row is None or client is None:
            return
        self._tasks.adopt_current()
        self.view.check_button.setEnabled(False)
        self.view.status.show_status(_("Asking the relay…"), StatusKind.WORKING)
        try:
            item = await client.status(row.checkout_request_id)
        except RelayError as error:
            if self._selected is row:
                self.view.status.show_status(
                    _("Could not check: {error}").format(error=error), StatusKind.ERROR
                )
            return
        finally:
            self.view.check_button.setEnabled(True)
        if client is not self._live.client:
            return  # signed out or in elsewhere meanwhile: not a payment of the book shown now
        self._live.apply_items((item,))
        if self._selected is not row:
            return  # another prompt is shown now: "Checked at" would speak of it
        self._show(row)
        stamp = datetime.fromtimestamp(self._clock()).strftime("%H:%M:%S")
        self.view.status.show_status(
            _("Checked at {stamp}.").format(stamp=stamp), StatusKind.NEUTRAL
        )

    @Slot()
    def resend(self) -> None:
        """Push the same amount to the same phone again, once the attendant confirms."""
        row, client = self._selected, self._live.client
        if (
            row is None
            or client is None
            or row.status in (PaymentStatus.PAID, PaymentStatus.DISPUTED)
        ):
            return
        # Asked before any task starts: see ChargePage.send.
        if not self._confirm(_("Resend the prompt?"), resend_question(row)):
            return
        self.view.resend_button.setEnabled(False)
        form = PushForm(row.phone_number, row.amount, row.account_reference, row.transaction_desc)
        self._tasks.start(self._resend(client, form))

    async def _resend(self, client: RelayClient, form: PushForm) -> None:
        self.view.status.show_status(_("Sending a new prompt…"), StatusKind.WORKING)
        try:
            pending = await start_push(client, form)
        except RelayError as error:
            self.view.status.show_status(refusal_sentence(error), StatusKind.ERROR)
            return
        finally:
            self.view.resend_button.setEnabled(True)
        if client is self._live.client:  # else signed out meanwhile: not this book's payment
            self._live.add_local(pending)
            self.track(pending.checkout_request_id)
        self.view.status.show_status(_("A new prompt was sent."), StatusKind.OK)
        self.resent.emit(pending.checkout_request_id)

    async def close(self) -> None:
        """Stop the timers and any request still running."""
        self._countdown.stop()
        self._day_timer.stop()
        await self._tasks.cancel_all()


def _print_unavailable(_receipt: object, _width_mm: int) -> None:
    """No printing wired (tests of other features)."""


def _set_role(button: QPushButton, name: str) -> None:
    if button.objectName() != name:
        button.setObjectName(name)
        button.style().unpolish(button)
        button.style().polish(button)
