"""A customer's receipt laid out for 58 mm and 80 mm thermal paper, painted with QPainter.

The same layout paints on a printer, in the print preview and on a QImage (tests, screenshots):
sizes are in points and millimetres, so the receipt looks the same at any resolution. The page is
as long as the receipt (roll paper), never an A4 sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPen,
)
from PySide6.QtPrintSupport import QPrinter

from bucket_desktop.i18n import _
from bucket_desktop.services.access.receipt import Receipt

RECEIPT_WIDTHS_MM = (58, 80)
# Thermal printers leave about 4 mm blank on each side of 58 mm paper (48 mm printed), 4 mm of
# 80 mm paper (72 mm printed).
SIDE_MARGIN_MM = 4.0
END_MARGIN_MM = 3.0
THERMAL_DPI = 203  # the usual head of a receipt printer
MM_PER_INCH = 25.4


@dataclass(frozen=True, slots=True)
class Sizes:
    """Font sizes (points) for one paper width."""

    title: float
    body: float
    code: float
    small: float


SIZES = {
    58: Sizes(title=11, body=8.5, code=20, small=7),
    80: Sizes(title=14, body=10, code=26, small=8),
}


@dataclass(frozen=True, slots=True)
class PaintedLine:
    """One line of the receipt and where it goes (device pixels, inside the margins)."""

    text: str
    rect: QRectF
    font: QFont
    rule_above: bool = False
    flags: int = 0


def mm_to_px(mm: float, dpi: float) -> float:
    """Millimetres to device pixels."""
    return mm / MM_PER_INCH * dpi


def lay_out(receipt: Receipt, width_mm: int, device: QPaintDevice) -> list[PaintedLine]:
    """The receipt's lines, each wrapped to the printable width of `width_mm` paper."""
    sizes = SIZES[width_mm]
    dpi = device.logicalDpiX()
    width = mm_to_px(width_mm - 2 * SIDE_MARGIN_MM, dpi)
    gap = mm_to_px(1.2, dpi)
    entries = [
        (receipt.provider, _font(sizes.title, bold=True), False),
        (f"{receipt.plan} · {receipt.amount}", _font(sizes.body), False),
        (receipt.code_label, _font(sizes.body), True),
        (receipt.code, _code_font(receipt.code, sizes, width, device), False),
        (receipt.expiry, _font(sizes.body, bold=True), False),
        (
            _("M-PESA receipt {mpesa_receipt}").format(mpesa_receipt=receipt.mpesa_receipt),
            _font(sizes.body),
            True,
        ),
        (_("Paid {time}").format(time=receipt.time), _font(sizes.body), False),
        (receipt.footer, _font(sizes.small), True),
    ]
    lines = []
    top = 0.0
    for text, font, rule in entries:
        if rule:
            top += 2 * gap  # room for the dashed rule between sections
        # A code has no spaces: one too long even at body size breaks anywhere, never off paper.
        flags = _CODE_FLAGS if text == receipt.code else _FLAGS
        metrics = QFontMetricsF(font, device)
        bound = metrics.boundingRect(QRectF(0, 0, width, 10_000), flags, text)
        rect = QRectF(0, top, width, bound.height())
        lines.append(PaintedLine(text, rect, font, rule_above=rule, flags=flags))
        top = rect.bottom() + gap
    return lines


def receipt_height_mm(receipt: Receipt, width_mm: int, dpi: float = THERMAL_DPI) -> float:
    """How long the paper must be for the receipt, margins included."""
    device = _canvas(width_mm, 10, dpi)
    lines = lay_out(receipt, width_mm, device)
    return lines[-1].rect.bottom() / dpi * MM_PER_INCH + 2 * END_MARGIN_MM


def paint(painter: QPainter, receipt: Receipt, width_mm: int, dpi: float) -> list[PaintedLine]:
    """Paint the receipt at the painter's origin + margins; returns what was painted where."""
    lines = lay_out(receipt, width_mm, painter.device())
    painter.save()
    painter.translate(mm_to_px(SIDE_MARGIN_MM, dpi), mm_to_px(END_MARGIN_MM, dpi))
    painter.setPen(QColor("black"))
    rule = QPen(QColor("black"), max(1.0, mm_to_px(0.2, dpi)), Qt.PenStyle.DashLine)
    for line in lines:
        if line.rule_above:
            y = line.rect.top() - mm_to_px(1.2, dpi)
            painter.save()
            painter.setPen(rule)
            painter.drawLine(line.rect.left(), y, line.rect.right(), y)
            painter.restore()
        painter.setFont(line.font)
        painter.drawText(line.rect, line.flags, line.text)
    painter.restore()
    return lines


def render_image(receipt: Receipt, width_mm: int, dpi: float = THERMAL_DPI) -> QImage:
    """The receipt on white, as a receipt printer would print it."""
    image = _canvas(width_mm, receipt_height_mm(receipt, width_mm, dpi), dpi)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    try:
        paint(painter, receipt, width_mm, dpi)
    finally:
        painter.end()
    return image


def fit_printer(printer: QPrinter, receipt: Receipt, width_mm: int) -> None:
    """A page as wide as the paper and as long as the receipt, no printer margins of its own."""
    height = receipt_height_mm(receipt, width_mm, printer.resolution())
    size = QPageSize(
        QSizeF(width_mm, height),
        QPageSize.Unit.Millimeter,
        _("Receipt {width_mm} mm").format(width_mm=width_mm),
    )
    layout = QPageLayout(
        size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter
    )
    printer.setPageLayout(layout)
    printer.setFullPage(True)


def print_on(printer: QPrinter, receipt: Receipt, width_mm: int) -> bool:
    """Paint the receipt on a printer whose page was fitted; False when it cannot start."""
    painter = QPainter()
    if not painter.begin(printer):
        return False
    try:
        paint(painter, receipt, width_mm, printer.resolution())
    finally:
        painter.end()
    return True


_FLAGS = int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap)
_CODE_FLAGS = int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWrapAnywhere)


def _font(points: float, *, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def _code_font(code: str, sizes: Sizes, width: float, device: QPaintDevice) -> QFont:
    """Monospaced and large; a long voucher is made smaller until it fits on one line."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setBold(True)
    font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
    points = sizes.code
    while points > sizes.body:
        font.setPointSizeF(points)
        if QFontMetricsF(font, device).horizontalAdvance(code) <= width:
            break
        points -= 1
    font.setPointSizeF(points)
    return font


def _canvas(width_mm: float, height_mm: float, dpi: float) -> QImage:
    image = QImage(
        round(mm_to_px(width_mm, dpi)),
        max(1, round(mm_to_px(height_mm, dpi))),
        QImage.Format.Format_RGB32,
    )
    dots_per_metre = round(dpi / MM_PER_INCH * 1000)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    return image
