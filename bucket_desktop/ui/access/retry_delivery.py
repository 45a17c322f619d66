"""Retry delivery on the Payments page: a failed router delivery of the chosen payment, now."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QPushButton, QTableView
from qasync import asyncSlot

from bucket_desktop.i18n import _, ngettext
from bucket_desktop.services.payment_rows import PaymentRow
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.live_payments import LivePayments
from bucket_desktop.ui.common.widgets import StatusKind, StatusLabel
from bucket_desktop.ui.payments.payments_model import PaymentsTableModel


def retryable(row: PaymentRow | None) -> bool:
    """A payment whose access has a failed delivery (and was not revoked)."""
    access = row.access if row is not None else None
    return access is not None and access.state != "revoked" and bool(access.failed_deliveries)


class RetryDelivery(QObject):
    """Shows Retry delivery for the selected payment when a delivery failed, and asks the relay."""

    def __init__(
        self,
        table: QTableView,
        model: PaymentsTableModel,
        button: QPushButton,
        status: StatusLabel,
        live: LivePayments,
    ) -> None:
        super().__init__()
        self._table = table
        self._model = model
        self._button = button
        self._status = status
        self._live = live
        self._tasks = TaskSet()
        button.hide()
        button.clicked.connect(self.retry)
        table.selectionModel().selectionChanged.connect(lambda *_: self.update())
        model.modelReset.connect(self.update)
        model.dataChanged.connect(lambda *_: self.update())
        live.book_changed.connect(lambda _change: self.update())

    def selected(self) -> PaymentRow | None:
        """The payment chosen in the table, if exactly one is."""
        rows = self._table.selectionModel().selectedRows()
        return self._model.row_at(rows[0].row()) if len(rows) == 1 else None

    def update(self) -> None:
        """Offer the retry only where a delivery failed."""
        self._button.setVisible(retryable(self.selected()) and self._live.client is not None)

    @asyncSlot()
    async def retry(self) -> None:
        """Ask the relay to try the failed deliveries again now."""
        row, client = self.selected(), self._live.client
        if row is None or row.access is None or client is None or not retryable(row):
            return
        self._tasks.adopt_current()
        code = row.access.code
        self._button.setEnabled(False)
        self._status.show_status(
            _("Asking the relay to retry {code}…").format(code=code), StatusKind.WORKING
        )
        try:
            count = await client.retry_access(code)
        except RelayError as error:
            self._status.show_status(
                _("Not retried: {error}").format(error=error), StatusKind.ERROR
            )
            return
        finally:
            self._button.setEnabled(True)
        self._status.show_status(
            ngettext(
                "The delivery of {code} will be tried again now; the Access column follows it.",
                "The {count} deliveries of {code} will be tried again now; the Access column "
                "follows it.",
                count,
            ).format(count=count, code=code),
            StatusKind.OK,
        )

    async def close(self) -> None:
        """Cancel a retry request still running."""
        await self._tasks.cancel_all()
