"""Customer receipts: 58 mm and 80 mm layouts on an image, a PDF printer and the print preview."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFontMetricsF, QImage
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from bucket_desktop.services.access.receipt import Receipt
from bucket_desktop.ui.access.receipt_paint import (
    SIDE_MARGIN_MM,
    THERMAL_DPI,
    fit_printer,
    lay_out,
    mm_to_px,
    print_on,
    render_image,
)
from bucket_desktop.ui.access.receipt_print import preview_dialog

RECEIPT = Receipt(
    provider="Kibera WiFi",
    plan="1 hour",
    amount="KES 10",
    code_label="Access code",
    code="K7PQ2M9X",
    expiry="Valid until 30 Nov 2026 14:35",
    mpesa_receipt="RDV0000001",
    time="30 Nov 2026 13:35",
    footer="Connect to the WiFi and enter the code when asked.",
)
POINTS_PER_MM = 72 / 25.4


def _dark_pixels(image: QImage, top: int, bottom: int) -> int:
    white = QColor("white").rgb()
    return sum(
        1
        for y in range(max(0, top), min(image.height(), bottom))
        for x in range(0, image.width(), 2)
        if image.pixel(x, y) != white
    )


@pytest.mark.parametrize("width_mm", [58, 80])
def test_every_line_fits_the_paper_and_the_code_is_the_largest(qapp: Any, width_mm: int) -> None:
    image = render_image(RECEIPT, width_mm)
    assert image.width() == round(mm_to_px(width_mm, THERMAL_DPI))
    printable = mm_to_px(width_mm - 2 * SIDE_MARGIN_MM, THERMAL_DPI)
    lines = lay_out(RECEIPT, width_mm, image)
    texts = [line.text for line in lines]
    assert texts[:4] == ["Kibera WiFi", "1 hour · KES 10", "Access code", "K7PQ2M9X"]
    assert "M-PESA receipt RDV0000001" in texts and "Paid 30 Nov 2026 13:35" in texts
    assert "Valid until 30 Nov 2026 14:35" in texts
    code = lines[3]
    assert QFontMetricsF(code.font, image).horizontalAdvance(code.text) <= printable  # one line
    assert code.font.pointSizeF() >= 2 * lines[1].font.pointSizeF()
    assert all(line.rect.width() <= printable + 0.5 for line in lines)
    tops = [line.rect.top() for line in lines]
    assert tops == sorted(tops)  # no line drawn over another
    assert lines[-1].rect.bottom() < image.height()  # nothing cut off at the end
    # Ink where the code is (the margin moves it down by the top margin).
    offset = round(mm_to_px(3.0, THERMAL_DPI))
    assert _dark_pixels(image, int(code.rect.top()) + offset, int(code.rect.bottom()) + offset)


def test_a_long_voucher_is_made_smaller_to_stay_on_the_paper(qapp: Any) -> None:
    long = _with(RECEIPT, code="HOTSPOT-VOUCHER-0000000000000001", code_label="Voucher")
    image = render_image(long, 58)
    [code] = [line for line in lay_out(long, 58, image) if line.text == long.code]
    printable = mm_to_px(58 - 2 * SIDE_MARGIN_MM, THERMAL_DPI)
    metrics = QFontMetricsF(code.font, image)
    inked = metrics.boundingRect(QRectF(0, 0, printable, 10_000), code.flags, code.text)
    assert inked.width() <= printable + 0.5
    assert code.font.pointSizeF() < 20  # smaller than a short code's


def test_the_pdf_page_is_receipt_paper_not_a4(qapp: Any, tmp_path: Path) -> None:
    for width_mm in (58, 80):
        target = tmp_path / f"receipt-{width_mm}.pdf"
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        fit_printer(printer, RECEIPT, width_mm)
        assert print_on(printer, RECEIPT, width_mm)
        data = target.read_bytes()
        assert data.startswith(b"%PDF")
        box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
        assert box is not None
        width_pt, height_pt = float(box.group(1)), float(box.group(2))
        assert abs(width_pt - width_mm * POINTS_PER_MM) < 1.0
        assert 40 * POINTS_PER_MM < height_pt < 120 * POINTS_PER_MM  # a slip, not an A4 sheet


def test_the_print_preview_shows_the_receipt(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = preview_dialog(parent, RECEIPT, 80)
    assert isinstance(dialog, QPrintPreviewDialog)
    painted: list[QPrinter] = []
    dialog.paintRequested.connect(painted.append)
    dialog.show()
    qtbot.waitUntil(lambda: bool(painted))
    page = dialog.printer.pageLayout().fullRect(dialog.printer.pageLayout().Unit.Millimeter)  # type: ignore[attr-defined]
    assert round(page.width()) == 80
    dialog.close()


def _fields(receipt: Receipt) -> dict[str, Any]:
    return {name: getattr(receipt, name) for name in Receipt.__dataclass_fields__}


def _with(receipt: Receipt, **changes: Any) -> Receipt:
    return Receipt(**{**_fields(receipt), **changes})
