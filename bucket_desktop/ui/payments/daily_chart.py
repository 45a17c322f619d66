"""A small bar chart of paid totals per day, painted with QPainter (QtCharts is not shipped)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QHelpEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from bucket_desktop.i18n import _, ngettext
from bucket_desktop.i18n.formatting import format_date, format_day
from bucket_desktop.services.payment_book import DayTotal

BAR = QColor("#2da44e")
TODAY_BAR = QColor("#1a7f37")
GRID = QColor("#d8dee4")
TEXT = QColor("#57606a")


def short_money(amount: int) -> str:
    """KES 1.2k / KES 3.4M for axis labels."""
    if amount >= 1_000_000:
        return f"{amount / 1_000_000:.1f}M"
    if amount >= 10_000:
        return f"{amount / 1_000:.0f}k"
    if amount >= 1_000:
        return f"{amount / 1_000:.1f}k"
    return str(amount)


class DailyChart(QWidget):
    """Bars for each day, oldest on the left; the tooltip of a bar gives its exact total."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._days: list[DayTotal] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(150)

    def sizeHint(self) -> QSize:
        """Wide and short."""
        return QSize(600, 150)

    def set_days(self, days: Sequence[DayTotal]) -> None:
        """Show these daily totals."""
        self._days = list(days)
        self.update()

    def days(self) -> list[DayTotal]:
        """The totals shown."""
        return list(self._days)

    def _plot_area(self) -> QRectF:
        return QRectF(44, 8, max(10, self.width() - 52), max(10, self.height() - 30))

    def paintEvent(self, event: QPaintEvent) -> None:
        """Grid, bars and the day labels under them."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        painter.setFont(font)
        area = self._plot_area()
        peak = max((day.amount for day in self._days), default=0)
        top = _nice_ceiling(peak)
        self._paint_grid(painter, area, top)
        if self._days:
            self._paint_bars(painter, area, top)
        painter.end()

    def _paint_grid(self, painter: QPainter, area: QRectF, top: int) -> None:
        for step in range(3):
            value = top * step // 2
            y = area.bottom() - area.height() * step / 2
            painter.setPen(GRID)
            painter.drawLine(int(area.left()), int(y), int(area.right()), int(y))
            painter.setPen(TEXT)
            label_box = QRectF(0, y - 8, area.left() - 6, 16)
            align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(label_box, align, short_money(value))

    def _paint_bars(self, painter: QPainter, area: QRectF, top: int) -> None:
        slot = area.width() / len(self._days)
        gap = max(1.0, slot * 0.2)
        painter.setPen(Qt.PenStyle.NoPen)
        for index, day in enumerate(self._days):
            height = area.height() * day.amount / top if top else 0
            bar = QRectF(
                area.left() + index * slot + gap / 2, area.bottom() - height, slot - gap, height
            )
            last = index == len(self._days) - 1
            painter.setBrush(TODAY_BAR if last else BAR)
            painter.drawRoundedRect(bar, 2, 2)
        painter.setPen(TEXT)
        for index, day in enumerate(self._days):
            # Label every 7th day back from today so the labels never collide.
            if (len(self._days) - 1 - index) % 7:
                continue
            text = _("Today") if index == len(self._days) - 1 else format_day(day.day)
            centre = area.left() + (index + 0.5) * slot
            box = QRectF(centre - 30, area.bottom() + 4, 60, 16)
            painter.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)

    def day_at(self, x: float) -> DayTotal | None:
        """The day whose bar is under the x position, if any."""
        area = self._plot_area()
        if not self._days or not area.left() <= x < area.right():
            return None
        index = int((x - area.left()) / (area.width() / len(self._days)))
        return self._days[min(index, len(self._days) - 1)]

    def event(self, event: QEvent) -> bool:
        """Tooltips: the day's total and count."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            day = self.day_at(event.pos().x())
            if day is None:
                QToolTip.hideText()
            else:
                text = ngettext(
                    "{day}: KES {amount} from {count} payment",
                    "{day}: KES {amount} from {count} payments",
                    day.count,
                ).format(
                    day=format_date(day.day, "full"),
                    amount=f"{day.amount:,}",
                    count=f"{day.count:,}",
                )
                QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)


def _nice_ceiling(peak: int) -> int:
    """A round number at or above the peak, so grid labels read well."""
    if peak <= 0:
        return 100
    magnitude: int = 10 ** (len(str(peak)) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        ceiling = int(factor * magnitude)
        if ceiling >= peak:
            return ceiling
    return 10 * magnitude
