"""Layout of the About box."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import N_, _
from bucket_desktop.ui.common.dialog_helpers import grow_with_messages

DARAJA_PORTAL = "https://developer.safaricom.co.ke"
DARAJA_HELP = N_(
    "Your Daraja credentials come from Safaricom's developer portal, "
    '<a href="{portal}">developer.safaricom.co.ke</a>: the consumer key and secret '
    "are under My Apps; the passkey of a live (Production) app comes from Safaricom after Go "
    "Live."
)


class AboutDialogView(QDialog):
    """Widgets only; `AboutBox` fills and wires them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("About Payment Bucket"))
        self.setMinimumWidth(520)
        heading = QLabel(_("Payment Bucket"))
        heading.setObjectName("cardTitle")
        tagline = QLabel(_("M-PESA payments for hotspot providers."))
        tagline.setObjectName("hint")
        self.app_version = _value()
        self.relay_address = _value()
        self.relay_version = _value()
        self.log_file = _value()
        self.open_folder_button = QPushButton(_("Open folder"))
        self.daraja_help = QLabel(_(DARAJA_HELP).format(portal=DARAJA_PORTAL))
        self.daraja_help.setWordWrap(True)
        self.daraja_help.setTextFormat(Qt.TextFormat.RichText)
        # Only a link: the person's browser opens it; the app itself never calls the portal.
        self.daraja_help.setOpenExternalLinks(True)
        self.close_button = QPushButton(_("Close"))
        self.close_button.setDefault(True)

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        log_row = QHBoxLayout()
        log_row.addWidget(self.log_file, 1)
        log_row.addWidget(self.open_folder_button, 0, Qt.AlignmentFlag.AlignTop)
        rows: list[tuple[str, QWidget | QHBoxLayout]] = [
            (_("App version"), self.app_version),
            (_("Relay"), self.relay_address),
            (_("Relay version"), self.relay_version),
            (_("Log file"), log_row),
        ]
        for index, (text, item) in enumerate(rows):
            label = QLabel(text)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            grid.addWidget(label, index, 0)
            if isinstance(item, QHBoxLayout):
                grid.addLayout(item, index, 1)
            else:
                grid.addWidget(item, index, 1)
        grid.setColumnStretch(1, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addWidget(tagline)
        layout.addLayout(grid)
        layout.addWidget(self.daraja_help)
        layout.addLayout(buttons)
        grow_with_messages(self)


def _value() -> QLabel:
    label = QLabel("—")
    label.setObjectName("value")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
