"""Tray icon: the relay connection state in its tooltip, a notification for each payment."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QSystemTrayIcon

from bucket_desktop.i18n import _
from bucket_desktop.services.payment_feed import FeedState
from bucket_desktop.services.payment_rows import PaymentRow, format_phone

STATE_COLOURS = {
    FeedState.LIVE: "#2da44e",
    FeedState.CONNECTING: "#d4a72c",
    FeedState.RECONNECTING: "#d4a72c",
    FeedState.REFUSED: "#cf222e",
    FeedState.STOPPED: "#8c959f",
}
NOTIFY_MS = 8000


def state_icon(state: FeedState) -> QIcon:
    """A round badge with a B, coloured by the connection state."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(STATE_COLOURS[state]))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(2, 2, 60, 60)
    font = QFont()
    font.setPixelSize(36)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(QRectF(0, 0, 64, 64), Qt.AlignmentFlag.AlignCenter, "B")
    painter.end()
    return QIcon(pixmap)


def paid_message(row: PaymentRow) -> tuple[str, str]:
    """Title and text of the notification for a payment."""
    title = _("Paid: KES {amount:,}").format(amount=row.amount)
    phone = format_phone(row.phone_number)
    if row.receipt:
        text = _("From {phone} · receipt {receipt}").format(phone=phone, receipt=row.receipt)
    else:
        text = _("From {phone}").format(phone=phone)
    if row.account_reference:
        text += f" · {row.account_reference}"
    return title, text


def disputed_message(row: PaymentRow) -> tuple[str, str]:
    """Title and text of the notice for a paid payment that turned disputed."""
    title = _("Not paid after all: KES {amount:,}").format(amount=row.amount)
    text = _(
        "The payment from {phone} that showed Paid is disputed. Check the "
        "M-PESA statement before giving (more) access."
    ).format(phone=format_phone(row.phone_number))
    return title, text


class CounterTray(QObject):
    """Owns the tray icon; without a system tray (a server, CI) it only records messages."""

    def __init__(self) -> None:
        super().__init__()
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon: QSystemTrayIcon | None = QSystemTrayIcon(self) if self.available else None
        self.tooltip = ""
        self.last_notification: tuple[str, str] | None = None
        self.show_connection(FeedState.STOPPED.value, _("Not connected to a relay."))
        if self.icon is not None:
            self.icon.show()

    def show_connection(self, state: str, message: str) -> None:
        """Icon colour and tooltip for the relay connection."""
        feed_state = FeedState(state)
        self.tooltip = _("Payment Bucket: {message}").format(message=message)
        if self.icon is not None:
            self.icon.setIcon(state_icon(feed_state))
            self.icon.setToolTip(self.tooltip)

    def notify_paid(self, row: PaymentRow) -> None:
        """A desktop notification for a payment that just succeeded."""
        self.last_notification = paid_message(row)
        if self.icon is not None and self.icon.supportsMessages():
            title, text = self.last_notification
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, NOTIFY_MS)

    def notify_disputed(self, row: PaymentRow) -> None:
        """A warning notice for a payment that showed Paid and is now disputed."""
        self.last_notification = disputed_message(row)
        if self.icon is not None and self.icon.supportsMessages():
            title, text = self.last_notification
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Critical, NOTIFY_MS * 2)

    def hide(self) -> None:
        """Remove the icon (the window is closing)."""
        if self.icon is not None:
            self.icon.hide()
