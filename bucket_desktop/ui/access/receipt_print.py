"""Qt's print dialogs for a receipt: the preview, whose Print button offers every printer."""

from __future__ import annotations

from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from bucket_desktop.i18n import _
from bucket_desktop.services.access.receipt import Receipt
from bucket_desktop.ui.access.access_card import PrintReceipt
from bucket_desktop.ui.access.receipt_paint import fit_printer, print_on


def preview_dialog(parent: QWidget, receipt: Receipt, width_mm: int) -> QPrintPreviewDialog:
    """A print preview of the receipt on paper of `width_mm`, not yet shown."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    fit_printer(printer, receipt, width_mm)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(_("Print receipt ({width_mm} mm)").format(width_mm=width_mm))

    def paint(target: QPrinter) -> None:
        # The printer chosen in the print dialog may have another resolution: fit again.
        fit_printer(target, receipt, width_mm)
        print_on(target, receipt, width_mm)

    dialog.paintRequested.connect(paint)
    dialog.resize(520, 640)
    # The dialog does not own the printer: keep it alive as long as the dialog.
    dialog.printer = printer  # type: ignore[attr-defined]
    return dialog


def ask_print(parent: QWidget) -> PrintReceipt:
    """Print through the preview dialog over `parent`."""

    def open_preview(receipt: Receipt, width_mm: int) -> None:
        dialog = preview_dialog(parent, receipt, width_mm)
        dialog.exec()
        dialog.deleteLater()

    return open_preview
