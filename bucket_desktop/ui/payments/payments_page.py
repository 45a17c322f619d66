"""Payments controller: live table with search and filters, today's figures, chart, export."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from datetime import date, timedelta, tzinfo
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot

from bucket_desktop.i18n import N_, _, ngettext
from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_book import BookChange, PaymentFilter
from bucket_desktop.services.payment_export import export_csv
from bucket_desktop.services.payment_feed import FeedState
from bucket_desktop.services.payment_rows import PaymentRow
from bucket_desktop.ui.access.retry_delivery import RetryDelivery
from bucket_desktop.ui.common.counter_common import set_kind
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.live_payments import LivePayments
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.payments.payments_model import (
    COL_ACCESS,
    COL_AMOUNT,
    COL_DESK,
    COL_PHONE,
    COL_RECEIPT,
    COL_REFERENCE,
    COL_SETTLED_BY,
    COL_STATUS,
    COL_TIME,
    PaymentsTableModel,
)
from bucket_desktop.ui.payments.payments_page_view import PaymentsPageView

# Asks where to save the export, given a suggested file name; None when cancelled.
ChooseExportPath = Callable[[str], Path | None]

STATUS_CHOICES: tuple[tuple[str, frozenset[PaymentStatus] | None], ...] = (
    (N_("All statuses"), None),
    (N_("Paid"), frozenset({PaymentStatus.PAID})),
    (N_("Waiting for PIN"), frozenset({PaymentStatus.PENDING})),
    (N_("Failed"), frozenset({PaymentStatus.FAILED})),
    (N_("Cancelled or expired"), frozenset({PaymentStatus.CANCELLED, PaymentStatus.EXPIRED})),
    (N_("Disputed"), frozenset({PaymentStatus.DISPUTED})),
)
# After the status choices: paid sales whose customer may not be online yet (see
# `bucket_desktop.services.access.online.paid_not_online` for the exact rule).
NOT_ONLINE_CHOICE = N_("Paid, not online")
PERIOD_CHOICES: tuple[tuple[str, int | None], ...] = (
    (N_("All dates"), None),
    (N_("Today"), 0),
    (N_("Yesterday"), -1),
    (N_("Last 7 days"), 6),
    (N_("Last 30 days"), 29),
)
COLUMN_WIDTHS = {
    COL_TIME: 104,
    COL_PHONE: 112,
    COL_AMOUNT: 84,
    COL_RECEIPT: 130,
    COL_REFERENCE: 130,
    COL_STATUS: 130,
    COL_ACCESS: 320,
    COL_SETTLED_BY: 130,
    COL_DESK: 120,
}
CONNECTION_WORDS = {
    FeedState.CONNECTING: N_("Connecting…"),
    FeedState.LIVE: N_("● Live"),
    FeedState.RECONNECTING: N_("Reconnecting…"),
    FeedState.REFUSED: N_("Signed out"),
    FeedState.STOPPED: N_("Not connected"),
}
SEARCH_DELAY_MS = 40
DAY_CHECK_MS = 30_000
# A catch-up brings thousands of payments a batch, dozens of batches a second, and each shown
# batch repaints the table: large batches join the table at most this often (the first at once).
LARGE_BATCH = 100
SHOW_LARGE_EVERY_MS = 200
EVERY_PAYMENT = PaymentFilter()


def day_range(choice: int | None, today: date) -> tuple[date | None, date | None]:
    """First and last day of a period choice (see PERIOD_CHOICES)."""
    if choice is None:
        return None, None
    if choice < 0:
        day = today + timedelta(days=choice)
        return day, day
    return today - timedelta(days=choice), today


class PaymentsPage(QObject):
    """Wires the Payments view to the live payment book."""

    def __init__(
        self,
        view: PaymentsPageView,
        live: LivePayments,
        *,
        choose_export_path: ChooseExportPath,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__()
        self.view = view
        self._live = live
        self._choose_path = choose_export_path
        self._tz = tz
        self._tasks = TaskSet()
        # Parented to its view, so Qt deletes it after the view that uses it.
        self.model = PaymentsTableModel(view.table, tz=tz)
        view.table.setModel(self.model)
        for column, width in COLUMN_WIDTHS.items():
            view.table.setColumnWidth(column, width)
        # Shown right after Status, so "paid but not online" is visible without scrolling.
        header = view.table.horizontalHeader()
        header.moveSection(header.visualIndex(COL_STATUS), header.visualIndex(COL_RECEIPT))
        header.moveSection(header.visualIndex(COL_ACCESS), header.visualIndex(COL_RECEIPT))
        for text, _statuses in STATUS_CHOICES:
            view.status_combo.addItem(_(text))
        view.status_combo.addItem(_(NOT_ONLINE_CHOICE))
        for text, _days in PERIOD_CHOICES:
            view.period_combo.addItem(_(text))
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self._figures_timer = QTimer(self, singleShot=True, interval=250)
        self._figures_timer.timeout.connect(self.update_figures)
        self._waiting: list[BookChange] = []  # changes not shown yet, oldest first
        self._show_timer = QTimer(self, singleShot=True, interval=SHOW_LARGE_EVERY_MS)
        self._show_timer.timeout.connect(self._show_waiting)
        # At midnight "today" moves on even when no payment arrives.
        self._shown_day = live.book.today()
        self._day_timer = QTimer(self, interval=DAY_CHECK_MS)
        self._day_timer.timeout.connect(self._check_day)
        self._day_timer.start()
        view.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        view.status_combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        view.period_combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        view.search_shortcut.activated.connect(self.focus_search)
        view.export_button.clicked.connect(self.export)
        live.book_changed.connect(self._on_book_changed)
        live.book_replaced.connect(self.reload)
        live.connection_changed.connect(self.show_connection)
        self.retry = RetryDelivery(view.table, self.model, view.retry_button, view.status, live)
        self.show_connection(live.state.value, live.state_message)
        self.reload()

    def current_filter(self) -> PaymentFilter:
        """The filter the controls describe."""
        choice = max(0, self.view.status_combo.currentIndex())
        not_online = choice >= len(STATUS_CHOICES)
        statuses = frozenset({PaymentStatus.PAID}) if not_online else STATUS_CHOICES[choice][1]
        period = PERIOD_CHOICES[max(0, self.view.period_combo.currentIndex())][1]
        first, last = day_range(period, self._live.book.today())
        return PaymentFilter(self.view.search_edit.text(), statuses, first, last, not_online)

    def reload(self) -> None:
        """Show the book from scratch (sign-in, a new relay, a new day)."""
        self._shown_day = self._live.book.today()
        self.apply_filter()
        self.update_figures()

    def apply_filter(self) -> None:
        """Re-select the rows shown from the current filter."""
        self._search_timer.stop()
        self._show_timer.stop()  # the book has every change waiting: selecting afresh shows them
        self._waiting.clear()
        rows = self._live.book.newest_first(self.current_filter())
        self.model.set_rows(rows)
        self._show_count()

    def _check_day(self) -> None:
        if self._live.book.today() != self._shown_day:
            self.reload()

    def focus_search(self) -> None:
        """Ctrl+F: jump to the search field."""
        self.view.search_edit.setFocus()
        self.view.search_edit.selectAll()

    def update_figures(self) -> None:
        """Today's total and count, the 30-day total and the chart."""
        book = self._live.book
        days = book.daily_totals(30)
        today = days[-1]
        self.view.today_card.value.setText(_("KES {amount:,}").format(amount=today.amount))
        self.view.today_card.note.setText(_payments(today.count))
        self.view.month_card.value.setText(
            _("KES {amount:,}").format(amount=sum(d.amount for d in days))
        )
        self.view.month_card.note.setText(_payments(sum(d.count for d in days)))
        self.view.chart.set_days(days)

    def show_connection(self, state: str, message: str) -> None:
        """The relay connection badge and its sentence."""
        feed_state = FeedState(state)
        set_kind(self.view.connection, _(CONNECTION_WORDS[feed_state]), feed_state.value)
        live = feed_state is FeedState.LIVE
        self.view.connection_note.setText(
            _("New payments appear as they arrive.") if live else message
        )
        if live and self._waiting:
            self._show_waiting()  # caught up: the last of the history, now

    def _on_book_changed(self, change: BookChange) -> None:
        if not self._figures_timer.isActive():
            self._figures_timer.start()
        self._waiting.append(change)
        if self._show_timer.isActive():
            return  # shown with the changes waiting before it
        large = len(change.added) + len(change.updated) >= LARGE_BATCH
        if large and self.model.rowCount():
            self._show_timer.start()
        else:
            self._show_waiting()

    def _show_waiting(self) -> None:
        """Put the changes not shown yet into the table, in the order they happened."""
        self._show_timer.stop()
        waiting, self._waiting = self._waiting, []
        for change in waiting:
            if not self._show(change):
                self.apply_filter()  # the whole selection again, every change included
                return
        self._show_count()

    def _show(self, change: BookChange) -> bool:
        """Insert or repaint the change's rows; False when only a fresh selection can show it."""
        wanted = self.current_filter()
        needles = wanted.needles()
        moved = [
            row
            for row in change.updated
            if wanted.accepts(row, needles)
            != (self.model.position_of(row.checkout_request_id) is not None)
        ]
        fresh = (
            change.added
            if wanted == EVERY_PAYMENT
            else [row for row in change.added if wanted.accepts(row, needles)]
        )
        top = self.model.row_at(0)
        if moved or (fresh and top is not None and min(r.created for r in fresh) < top.created):
            return False
        self.model.insert_on_top(sorted(fresh, key=lambda r: r.created, reverse=True))
        self.model.refresh(change.updated)
        return True

    def _show_count(self) -> None:
        shown, total = self.model.rowCount(), len(self._live.book)
        text = (
            _payments(shown)
            if shown == total
            else ngettext(
                "{shown} of {count} payment", "{shown} of {count} payments", total
            ).format(shown=f"{shown:,}", count=f"{total:,}")
        )
        self.view.count_label.setText(text)
        self.view.export_button.setEnabled(shown > 0)

    @Slot()
    def export(self) -> None:
        """Write the rows shown (the current filter) to a CSV file the attendant chooses."""
        # Copies: the feed may update rows on this thread while the file is written on another.
        rows = [copy.copy(row) for row in self.model.rows()]
        suggested = f"payments-{self._live.book.today():%Y-%m-%d}.csv"
        # The file dialog comes before any task starts: see ChargePage.send.
        path = self._choose_path(suggested)
        if path is None:
            return
        self.view.export_button.setEnabled(False)
        self._tasks.start(self._write(rows, path))

    async def _write(self, rows: list[PaymentRow], path: Path) -> None:
        self.view.status.show_status(
            _("Exporting {payments}…").format(payments=_payments(len(rows))), StatusKind.WORKING
        )
        try:
            # Formatting 100,000 rows takes a moment: keep the window responsive.
            count = await asyncio.to_thread(export_csv, rows, path, tz=self._tz)
        except OSError as error:
            reason = error.strerror or _("the file could not be written")
            self.view.status.show_status(
                _("Nothing was exported: {reason}.").format(reason=reason), StatusKind.ERROR
            )
            return
        finally:
            self.view.export_button.setEnabled(True)
        self.view.status.show_status(
            _("Exported {payments} to {path}.").format(payments=_payments(count), path=path),
            StatusKind.OK,
        )

    async def close(self) -> None:
        """Stop timers and wait for an export in progress to be cancelled."""
        self._search_timer.stop()
        self._figures_timer.stop()
        self._show_timer.stop()
        self._day_timer.stop()
        await self.retry.close()
        await self._tasks.cancel_all()


def _payments(count: int) -> str:
    return ngettext("{count} payment", "{count} payments", count).format(count=f"{count:,}")
