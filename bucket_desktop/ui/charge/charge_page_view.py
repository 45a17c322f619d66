"""Layout of the Charge customer page: the push form, plan presets and a short guide."""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import _
from bucket_desktop.ui.common.widgets import ReservedLabel, StatusLabel

PAGE_STYLE = """
QLabel#fieldLabel { font-weight: 600; }
QLabel#hint[kind="error"] { color: #b42318; }
QLabel#hint[kind="ok"] { color: #1a7f37; }
QLabel#counter { color: #57606a; }
QLabel#counter[kind="error"] { color: #b42318; font-weight: 600; }
QLabel#guide { color: #3d444d; }
QPushButton#planButton { padding: 7px 4px; min-width: 0; min-height: 30px; text-align: center; }
QPushButton#planButton:checked { background: #e7f5ec; border: 1px solid #2f7d4a;
                                 color: #1d6b3a; font-weight: 600; }
"""  # i18n: keep (Qt style sheet)

FORM_WIDTH = 560
FORM_MIN_WIDTH = 440
GUIDE_MIN_WIDTH = 240


def _label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    return label


def _hint(lines: int = 1) -> ReservedLabel:
    label = ReservedLabel("", lines)
    label.setObjectName("hint")
    return label


class ChargePageView(QWidget):
    """Public widgets: the four fields, their hints and counters, plan buttons, Send, status."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(PAGE_STYLE)
        self.phone_edit = QLineEdit()
        self.phone_edit.setPlaceholderText("0712 345 678")
        # Room kept for each hint (two lines for the phone's, the longest), so a hint that
        # changes never moves the fields below it under the mouse.
        self.phone_hint = _hint(lines=2)
        self.amount_edit = QLineEdit()
        self.amount_edit.setPlaceholderText(_("Whole shillings"))
        self.amount_hint = _hint()
        self.reference_edit = QLineEdit()
        self.reference_counter = _label("0/12", "counter")
        self.reference_hint = _hint()
        self.desc_edit = QLineEdit()
        self.desc_counter = _label("0/13", "counter")
        self.desc_hint = _hint()
        self.plans_box = QWidget()
        self.plans_layout = QGridLayout(self.plans_box)
        self.plans_layout.setContentsMargins(0, 0, 0, 0)
        self.plans_layout.setSpacing(6)
        self.edit_plans_button = QPushButton(_("Edit plans…"))
        self.edit_plans_button.setObjectName("flatButton")
        self.send_button = QPushButton(_("Send payment prompt"))
        self.send_button.setObjectName("primaryButton")
        self.send_button.setDefault(True)
        self.status = StatusLabel()
        self.guide = _label("", "guide")
        self.guide.setWordWrap(True)
        self.guide.setTextFormat(Qt.TextFormat.RichText)
        self.guide.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._build()

    def plan_button(self, text: str) -> QPushButton:
        """Create a plan preset tile and place it in the grid (three to a row)."""
        button = QPushButton(text)
        button.setObjectName("planButton")
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        position = self.plans_layout.count()
        self.plans_layout.addWidget(button, position // 3, position % 3)
        return button

    def chain_tab_order(self, plan_buttons: list[QPushButton]) -> None:
        """Tab goes phone, plans, amount, reference, description, Send."""
        chain = [
            self.phone_edit,
            *plan_buttons,
            self.amount_edit,
            self.reference_edit,
            self.desc_edit,
            self.send_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _build(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(20)
        layout.addWidget(self._form_card(), 3, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._guide_card(), 1, Qt.AlignmentFlag.AlignTop)

    def _form_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        card.setMinimumWidth(FORM_MIN_WIDTH)
        card.setMaximumWidth(FORM_WIDTH)
        grid = QGridLayout(card)
        grid.setContentsMargins(20, 18, 20, 18)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 1)
        row = 0
        row = self._field(grid, row, _("Phone number"), self.phone_edit, self.phone_hint, None)
        grid.addWidget(_label(_("Plan"), "fieldLabel"), row, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.plans_box, row, 1, 1, 2)
        grid.addWidget(self.edit_plans_button, row + 1, 1, Qt.AlignmentFlag.AlignLeft)
        grid.setRowMinimumHeight(row + 2, 10)
        row += 3
        row = self._field(grid, row, _("Amount (KES)"), self.amount_edit, self.amount_hint, None)
        row = self._field(
            grid,
            row,
            _("Account reference"),
            self.reference_edit,
            self.reference_hint,
            self.reference_counter,
        )
        row = self._field(
            grid, row, _("Description"), self.desc_edit, self.desc_hint, self.desc_counter
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addStretch(1)
        grid.addLayout(buttons, row, 1, 1, 2)
        grid.addWidget(self.status, row + 1, 0, 1, 3)
        return card

    def _field(
        self,
        grid: QGridLayout,
        row: int,
        title: str,
        edit: QLineEdit,
        hint: QLabel,
        counter: QLabel | None,
    ) -> int:
        grid.addWidget(_label(title, "fieldLabel"), row, 0)
        grid.addWidget(edit, row, 1, 1, 1 if counter else 2)
        if counter is not None:
            counter.setMinimumWidth(44)
            counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(counter, row, 2)
        grid.addWidget(hint, row + 1, 1, 1, 2)
        grid.setRowMinimumHeight(row + 2, 10)
        return row + 3

    def _guide_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        card.setMinimumWidth(GUIDE_MIN_WIDTH)
        box = QVBoxLayout(card)
        box.setContentsMargins(20, 18, 20, 18)
        box.setSpacing(8)
        box.addWidget(_label(_("How it works"), "cardTitle"))
        box.addWidget(self.guide)
        return card
