"""A secret shown this once with Copy and Done: a new desk's token, a webhook secret, a
platform administrator's new tokens. The text is cleared when the dialog closes, so the secret
lives no longer than the dialog."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import _
from bucket_desktop.ui.common.dialog_helpers import run_dialog
from bucket_desktop.ui.common.widgets import StatusKind, StatusLabel


class ShownOnceDialog(QDialog):
    """`text` read-only under a heading and a hint, with Copy and Done."""

    def __init__(
        self,
        *,
        title: str,
        heading: str | None,
        hint: str,
        text: str,
        height: int,
        width: int = 600,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        if heading is not None:
            title_label = QLabel(heading)
            title_label.setObjectName("cardTitle")
            title_label.setWordWrap(True)
            layout.addWidget(title_label)
        hint_label = QLabel(hint)
        hint_label.setWordWrap(True)
        hint_label.setObjectName("hint")
        self.details = QPlainTextEdit(text)
        self.details.setReadOnly(True)
        self.details.setFixedHeight(height)
        self.status = StatusLabel()
        self.copy_button = QPushButton(_("Copy"))
        self.copy_button.clicked.connect(self.copy)
        done = QPushButton(_("Done"))
        done.setObjectName("primaryButton")
        done.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(done)
        layout.addWidget(hint_label)
        layout.addWidget(self.details)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def copy(self) -> None:
        """Put the text on the clipboard."""
        QGuiApplication.clipboard().setText(self.details.toPlainText())
        self.status.show_status(_("Copied."), StatusKind.OK)


async def show_once(dialog: ShownOnceDialog) -> None:
    """Show the dialog until it is closed, then clear its secret and let it go."""
    await run_dialog(dialog)
    dialog.details.clear()
    dialog.deleteLater()
