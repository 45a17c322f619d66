"""Layout of the STK status page: today's prompts on the left, the chosen one in detail."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import _
from bucket_desktop.ui.access.access_card_view import AccessCardView, DisputeBoxView
from bucket_desktop.ui.common.widgets import StatusLabel

PAGE_STYLE = """
QLabel#muted { color: #57606a; }
QLabel#pushTitle { font-size: 18px; font-weight: 600; }
QLabel#stateWord { font-size: 26px; font-weight: 700; color: #24292f; }
QLabel#stateWord[kind="pending"] { color: #9a6700; }
QLabel#stateWord[kind="paid"] { color: #1a7f37; }
QLabel#stateWord[kind="bad"] { color: #b42318; }
QLabel#stateWord[kind="gone"] { color: #6e7781; }
QLabel#sentence { font-size: 14px; }
QFrame#receiptBox { background: #eef8f0; border: 1px solid #9fd4ab; border-radius: 8px; }
QLabel#receipt { font-size: 30px; font-weight: 700; letter-spacing: 2px; color: #1a7f37; }
QPushButton#actionButton { padding: 7px 16px; }
QTableView { border: none; outline: 0; selection-background-color: #d8efe0;
             selection-color: #102a1b; }
QLabel#advice { color: #57606a; border-top: 1px solid #dde3e9; padding-top: 10px; }
QProgressBar { border: 1px solid #d0d7de; border-radius: 4px; background: #f6f8fa;
               height: 10px; text-align: center; }
QProgressBar::chunk { background: #d4a72c; border-radius: 4px; }
"""  # i18n: keep (Qt style sheet)

LIST_MIN_WIDTH = 390


def _label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    return label


class StkStatusPageView(QWidget):
    """Public widgets: the push table, and the detail card's labels and buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(PAGE_STYLE)
        self.table = QTableView()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setHighlightSections(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.empty_label = _label(_("No prompts yet today."), "muted")
        self.push_title = _label("", "pushTitle")
        self.state_word = _label(_("Choose a prompt"), "stateWord")
        self.sentence = _label("", "sentence")
        self.sentence.setWordWrap(True)
        self.countdown = QProgressBar()
        self.countdown.setTextVisible(False)
        self.countdown_label = _label("", "muted")
        self.receipt_box = QFrame()
        self.receipt_box.setObjectName("receiptBox")
        self.receipt = _label("", "receipt")
        self.receipt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.access_card = AccessCardView()
        self.dispute_box = DisputeBoxView()
        self.copy_button = QPushButton(_("Copy receipt"))
        self.copy_button.setObjectName("actionButton")
        self.details = _label("", "muted")
        self.details.setWordWrap(True)
        self.check_button = QPushButton(_("Check now"))
        self.check_button.setObjectName("primaryButton")
        self.resend_button = QPushButton(_("Resend…"))
        self.resend_button.setObjectName("actionButton")
        self.status = StatusLabel()
        self.advice = _label(
            _(
                "Give access only when the state says Paid ✓. The customer also gets the receipt "
                "number by SMS from M-PESA."
            ),
            "advice",
        )
        self.advice.setWordWrap(True)
        self._build()

    def _build(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(20)
        layout.addWidget(self._list_card(), 4)
        layout.addWidget(self._detail_card(), 5)

    def _list_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        card.setMinimumWidth(LIST_MIN_WIDTH)
        box = QVBoxLayout(card)
        box.setContentsMargins(16, 14, 16, 16)
        box.setSpacing(8)
        box.addWidget(_label(_("Today's prompts, newest first"), "cardTitle"))
        box.addWidget(self.table, 1)
        box.addWidget(self.empty_label)
        return card

    def _detail_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        box = QVBoxLayout(card)
        box.setContentsMargins(20, 18, 20, 18)
        box.setSpacing(10)
        box.addWidget(self.push_title)
        box.addWidget(self.state_word)
        box.addWidget(self.sentence)
        box.addWidget(self.countdown)
        box.addWidget(self.countdown_label)
        box.addWidget(self.dispute_box)
        box.addWidget(self.access_card)
        # Heading and Copy above, the receipt alone below: the whole receipt shows even on a
        # 1024 px wide screen.
        heading_row = QHBoxLayout()
        heading_row.addWidget(_label(_("M-PESA receipt"), "muted"), 1)
        heading_row.addWidget(self.copy_button)
        receipt_box = QVBoxLayout(self.receipt_box)
        receipt_box.setContentsMargins(16, 10, 16, 12)
        receipt_box.setSpacing(2)
        receipt_box.addLayout(heading_row)
        receipt_box.addWidget(self.receipt)
        box.addWidget(self.receipt_box)
        box.addWidget(self.details)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.resend_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        box.addWidget(self.status)
        box.addStretch(1)
        box.addWidget(self.advice)
        return card
