"""Shows a payment's access on the STK status page: the code, Copy, Print, or the dispute."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import tzinfo

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QGuiApplication

from bucket_desktop.i18n import _
from bucket_desktop.services.access.online import access_state_word, dispute_advice, expiry_text
from bucket_desktop.services.access.receipt import Receipt, receipt_for
from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_rows import PaymentRow
from bucket_desktop.ui.access.access_card_view import AccessCardView, DisputeBoxView
from bucket_desktop.ui.common.counter_common import set_kind
from bucket_desktop.ui.common.widgets import StatusKind, StatusLabel

# Opens the print preview of a receipt for paper of the given width (mm); the dialog prints.
PrintReceipt = Callable[[Receipt, int], None]


class AccessCard(QObject):
    """Wires the access card and the dispute box to the payment shown."""

    def __init__(
        self,
        view: AccessCardView,
        dispute: DisputeBoxView,
        status: StatusLabel,
        *,
        print_receipt: PrintReceipt,
        tz: tzinfo | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Parented to its view: Qt deletes it with the page, and tools find it from the window.
        super().__init__(view)
        self.view = view
        self.dispute = dispute
        self._status = status
        self._print = print_receipt
        self._tz = tz
        self._clock = clock
        self._row: PaymentRow | None = None
        self.provider_name = ""
        view.copy_button.clicked.connect(self.copy_code)
        view.print_button.clicked.connect(self.print_receipt)
        view.hide()
        dispute.hide()

    @property
    def receipt(self) -> Receipt | None:
        """The printable receipt of the payment shown, if it has one."""
        if self._row is None:
            return None
        return receipt_for(self._row, self.provider_name, self._tz)

    @property
    def width_mm(self) -> int:
        """The receipt paper width chosen."""
        return int(self.view.width_combo.currentData())

    def show(self, row: PaymentRow | None) -> None:
        """Show the access of `row` (or its dispute); hide both for anything else."""
        self._row = row
        disputed = row is not None and row.status is PaymentStatus.DISPUTED and not row.is_test
        self.dispute.setVisible(disputed)
        if row is not None and disputed:
            self.dispute.text.setText(dispute_advice(row))
        access = row.access if row is not None else None
        if row is None or access is None or access.state == "revoked" or disputed:
            self.view.hide()
            return
        view = self.view
        if row.is_confirmed:
            kind = _("Voucher") if access.voucher else _("Access code")
        elif access.voucher:
            kind = _("Voucher · M-PESA has not confirmed the payment yet")
        else:
            kind = _("Access code · M-PESA has not confirmed the payment yet")
        set_kind(view.kind_label, kind, "" if row.is_confirmed else "pending")
        view.setProperty("kind", "" if row.is_confirmed else "pending")
        view.style().unpolish(view)
        view.style().polish(view)
        view.code.setText(access.code)
        terms = [row.plan_name] if row.plan_name else []
        terms += [expiry_text(access, self._tz, self._clock()), access_state_word(access)]
        view.terms.setText(" · ".join(terms))
        view.mpesa.setText(
            _("M-PESA receipt {receipt}").format(receipt=row.receipt) if row.receipt else ""
        )
        view.mpesa.setVisible(bool(row.receipt))
        view.print_button.setEnabled(self.receipt is not None)
        view.show()

    @Slot()
    def copy_code(self) -> None:
        """Put the access code on the clipboard."""
        if self._row is not None and self._row.access is not None:
            QGuiApplication.clipboard().setText(self._row.access.code)
            self._status.show_status(_("Code copied."), StatusKind.OK)

    @Slot()
    def print_receipt(self) -> None:
        """Open the print preview of the receipt (the dialog chooses the printer)."""
        receipt = self.receipt
        if receipt is not None:
            self._print(receipt, self.width_mm)
