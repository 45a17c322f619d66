"""Layout of "Change passphrase": the current one, the new one twice."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import _
from bucket_desktop.ui.common.dialog_helpers import grow_with_messages
from bucket_desktop.ui.common.widgets import SecretLineEdit, StatusLabel
from bucket_desktop.ui.passphrase.texts import creation_advice, length_hint


class ChangePassphraseView(QDialog):
    """Widgets only; `ChangePassphraseDialog` wires them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Change passphrase"))
        self.setMinimumWidth(500)
        advice = QLabel(creation_advice())
        advice.setWordWrap(True)
        advice.setObjectName("hint")
        self.current = SecretLineEdit()
        self.new = SecretLineEdit()
        self.new.line_edit.setPlaceholderText(length_hint())
        self.again = SecretLineEdit()
        self.status = StatusLabel()
        self.cancel_button = QPushButton(_("Cancel"))
        self.change_button = QPushButton(_("Change passphrase"))
        self.change_button.setObjectName("primaryButton")
        self.change_button.setDefault(True)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(_("Current passphrase"), self.current)
        form.addRow(_("New passphrase"), self.new)
        form.addRow(_("New, again"), self.again)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.change_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(advice)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        grow_with_messages(self)
