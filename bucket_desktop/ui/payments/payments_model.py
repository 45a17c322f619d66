"""Table model over PaymentBook rows: one model, no widget per row, targeted updates."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from bucket_desktop.i18n import N_, _, ngettext
from bucket_desktop.i18n.formatting import format_day, format_time
from bucket_desktop.services.access.online import access_cell
from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_rows import PaymentRow, format_phone, status_sentence

COL_TIME = 0
COL_PHONE = 1
COL_AMOUNT = 2
COL_RECEIPT = 3
COL_REFERENCE = 4
COL_STATUS = 5
COL_ACCESS = 6
COL_SETTLED_BY = 7
COL_DESK = 8
HEADERS = (
    N_("Time"),
    N_("Phone"),
    N_("Amount"),
    N_("Receipt"),
    N_("Reference"),
    N_("Status"),
    N_("Access"),
    N_("Settled by"),
    N_("Desk"),
)

STATUS_WORDS = {
    PaymentStatus.PENDING: N_("Waiting for PIN"),
    PaymentStatus.PAID: N_("Paid"),
    PaymentStatus.FAILED: N_("Failed"),
    PaymentStatus.CANCELLED: N_("Cancelled"),
    PaymentStatus.EXPIRED: N_("Expired"),
    PaymentStatus.DISPUTED: N_("Disputed"),
}
STATUS_COLOURS = {
    PaymentStatus.PENDING: QColor("#9a6700"),
    PaymentStatus.PAID: QColor("#1a7f37"),
    PaymentStatus.FAILED: QColor("#b42318"),
    PaymentStatus.CANCELLED: QColor("#6e7781"),
    PaymentStatus.EXPIRED: QColor("#6e7781"),
    PaymentStatus.DISPUTED: QColor("#b42318"),
}
ACCESS_COLOURS = {
    "issued": QColor("#9a6700"),
    "delivered": QColor("#1a7f37"),
    "failed": QColor("#b42318"),
    "revoked": QColor("#6e7781"),
}
UNREACHABLE_CODE = "1037"
PAID_CONFIRMED = N_("Paid ✓")
PAID_CONFIRMING = N_("Paid · confirming…")


def status_word(row: PaymentRow) -> str:
    """The word for a payment's state; 1037 says what happened rather than "Expired".

    "Paid ✓" only once M-PESA confirmed the payment (DESIGN.md section 13).
    """
    if row.status is PaymentStatus.EXPIRED and row.result_code == UNREACHABLE_CODE:
        return _("Phone unreachable")
    if row.status is PaymentStatus.PAID:
        return _(PAID_CONFIRMED) if row.is_confirmed else _(PAID_CONFIRMING)
    return _(STATUS_WORDS[row.status])


def access_tooltip(row: PaymentRow, cell: str) -> str | None:
    """The whole Access cell, then each delivery's state and last error."""
    if row.access is None:
        return None
    lines = [cell]
    for delivery in row.access.deliveries:
        line = ngettext(
            "{mechanism}: {state}, {count} attempt",
            "{mechanism}: {state}, {count} attempts",
            delivery.attempts,
        ).format(mechanism=delivery.mechanism, state=delivery.state, count=delivery.attempts)
        if delivery.last_error:
            line += f" ({delivery.last_error})"
        lines.append(line)
    return "\n".join(lines)


SETTLED_WORDS = {"callback": N_("M-PESA callback"), "query": N_("Status query")}

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class PaymentsTableModel(QAbstractTableModel):
    """Shows a list of PaymentRow in the order given (the controller filters and orders)."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        tz: tzinfo | None = None,
        with_day: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._rows: list[PaymentRow] = []
        self._position: dict[str, int] | None = None  # built on demand for targeted updates
        self._tz = tz
        self._with_day = with_day

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Rows shown (zero under any parent: this is a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Columns, see HEADERS."""
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(HEADERS[section]) if 0 <= section < len(HEADERS) else None
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if section == COL_AMOUNT else _LEFT
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, alignment, status colour and a tooltip with the plain-language reason."""
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column == COL_AMOUNT else _LEFT
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATUS:
            return STATUS_COLOURS[row.status]
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_ACCESS and row.access:
            return ACCESS_COLOURS.get(row.access.state)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_STATUS:
            return status_sentence(row)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_ACCESS:
            return access_tooltip(row, access_cell(row, self._tz, self._clock()))
        if role == Qt.ItemDataRole.UserRole:
            return row.checkout_request_id
        return None

    def _display(self, row: PaymentRow, column: int) -> str:
        if column == COL_TIME:
            moment = datetime.fromtimestamp(row.created, self._tz)
            if self._with_day:  # "30 Nov 14:02", the month in the current language
                return f"{format_day(moment)} {format_time(moment)}"
            return moment.strftime("%H:%M:%S")
        if column == COL_PHONE:
            return format_phone(row.phone_number)
        if column == COL_AMOUNT:
            return _("KES {amount:,}").format(amount=row.amount)
        if column == COL_RECEIPT:
            return row.receipt
        if column == COL_REFERENCE:
            return row.account_reference
        if column == COL_STATUS:
            word = status_word(row)
            return _("{word} · test").format(word=word) if row.is_test else word
        if column == COL_DESK:
            return row.sent_by
        if column == COL_ACCESS:
            return access_cell(row, self._tz, self._clock())
        word = SETTLED_WORDS.get(row.resolved_by or "")
        return _(word) if word else ""

    def set_rows(self, rows: list[PaymentRow]) -> None:
        """Replace everything shown (a new filter or the first load)."""
        self.beginResetModel()
        self._rows = rows
        self._position = None
        self.endResetModel()

    def insert_on_top(self, rows: Sequence[PaymentRow]) -> None:
        """Add new payments above the others (they are the newest)."""
        if not rows:
            return
        self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
        self._rows[0:0] = list(rows)
        self._position = None
        self.endInsertRows()

    def refresh(self, rows: Sequence[PaymentRow]) -> None:
        """Repaint rows whose state changed in place; rows not shown are ignored."""
        if not rows:  # a catch-up brings only new rows: no position map to build each time
            return
        if self._position is None:
            self._position = {r.checkout_request_id: i for i, r in enumerate(self._rows)}
        last = self.columnCount() - 1
        for row in rows:
            position = self._position.get(row.checkout_request_id)
            if position is not None:
                self.dataChanged.emit(self.index(position, 0), self.index(position, last))

    def row_at(self, position: int) -> PaymentRow | None:
        """The payment shown at a row, if any."""
        return self._rows[position] if 0 <= position < len(self._rows) else None

    def position_of(self, checkout_request_id: str) -> int | None:
        """Where a payment is shown, if it is."""
        if self._position is None:
            self._position = {r.checkout_request_id: i for i, r in enumerate(self._rows)}
        return self._position.get(checkout_request_id)

    def rows(self) -> list[PaymentRow]:
        """The rows shown, in order (a copy)."""
        return list(self._rows)
