"""The STK status page's access card: the code (or voucher) large, with Copy and Print."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from bucket_desktop.i18n import _
from bucket_desktop.ui.access.receipt_paint import RECEIPT_WIDTHS_MM

CARD_STYLE = """
QFrame#accessBox { background: #eef8f0; border: 1px solid #9fd4ab; border-radius: 8px; }
QFrame#accessBox[kind="pending"] { background: #fff8e1; border-color: #e3c46b; }
QLabel#accessCode { font-family: "DejaVu Sans Mono", "Consolas", "Menlo", monospace;
                    font-size: 40px; font-weight: 700; letter-spacing: 4px; color: #102a1b; }
QLabel#accessTerms { font-size: 14px; color: #24292f; }
QLabel#accessReceipt { color: #57606a; }
QFrame#disputeBox { background: #ffebe9; border: 1px solid #ff8182; border-radius: 8px; }
QLabel#disputeTitle { color: #b42318; font-size: 16px; font-weight: 700; }
QLabel#disputeText { color: #4c1d1a; font-size: 14px; }
"""  # i18n: keep (Qt style sheet)


def _label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    return label


class AccessCardView(QFrame):
    """Public widgets: the code and its terms, Copy, Print and the receipt width."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("accessBox")
        self.setStyleSheet(CARD_STYLE)
        self.kind_label = _label(_("Access code"), "muted")
        self.kind_label.setWordWrap(True)
        self.code = _label("", "accessCode")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.terms = _label("", "accessTerms")
        self.terms.setWordWrap(True)
        self.mpesa = _label("", "accessReceipt")
        self.mpesa.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton(_("Copy code"))
        self.copy_button.setObjectName("actionButton")
        self.print_button = QPushButton(_("Print…"))
        self.print_button.setObjectName("actionButton")
        self.width_combo = QComboBox()
        for width in RECEIPT_WIDTHS_MM:
            self.width_combo.addItem(_("{width} mm").format(width=width), width)
        self.width_combo.setToolTip(_("The width of the receipt printer's paper roll."))
        box = QVBoxLayout(self)
        box.setContentsMargins(16, 10, 16, 12)
        box.setSpacing(4)
        # The paper width sits by the heading, Copy and Print under the code: the card fits the
        # narrow detail column of a 1024 px screen.
        heading = QHBoxLayout()
        heading.addWidget(self.kind_label, 1)
        heading.addWidget(self.width_combo, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(heading)
        box.addWidget(self.code)
        box.addWidget(self.terms)
        box.addWidget(self.mpesa)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        box.addSpacing(4)
        box.addLayout(buttons)


class DisputeBoxView(QFrame):
    """Red: a payment M-PESA did not confirm, what happened and what to do; never a code."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("disputeBox")
        self.setStyleSheet(CARD_STYLE)
        self.title = _label(_("Do not give access"), "disputeTitle")
        self.text = _label("", "disputeText")
        self.text.setWordWrap(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(16, 10, 16, 12)
        box.setSpacing(4)
        box.addWidget(self.title)
        box.addWidget(self.text)
