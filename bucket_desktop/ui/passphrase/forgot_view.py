"""Layout of "Forgot passphrase?": what is lost, what is not, and how starting over goes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from bucket_desktop.ui.dialog_helpers import grow_with_messages
from bucket_desktop.ui.passphrase.texts import forgot_text
from bucket_desktop.ui.widgets import StatusLabel


class ForgotPassphraseView(QDialog):
    """Widgets only: the explanation, a status line, Keep trying and Start over."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Forgot your passphrase?")
        self.setMinimumWidth(540)
        heading = QLabel("Forgot your passphrase?")
        heading.setObjectName("cardTitle")
        self.explanation = QLabel(forgot_text(data_dir))
        self.explanation.setWordWrap(True)
        self.status = StatusLabel()
        self.keep_trying_button = QPushButton("Keep trying")
        self.keep_trying_button.setDefault(True)
        self.start_over_button = QPushButton("Move the files aside and start over")
        self.start_over_button.setObjectName("dangerButton")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.keep_trying_button)
        buttons.addWidget(self.start_over_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.explanation)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        grow_with_messages(self)
