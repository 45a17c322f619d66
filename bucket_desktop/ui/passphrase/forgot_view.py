"""Layout of "Forgot passphrase?": what is lost, what is not, and how starting over goes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from bucket_desktop.i18n import _
from bucket_desktop.ui.common.dialog_helpers import grow_with_messages
from bucket_desktop.ui.common.widgets import StatusLabel
from bucket_desktop.ui.passphrase.texts import forgot_sections

WIDTH = 580


class ForgotPassphraseView(QDialog):
    """Widgets only: the explanation, a status line, Keep trying and Start over."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Forgot your passphrase?"))
        heading = QLabel(_("Forgot your passphrase?"))
        heading.setObjectName("cardTitle")
        # Plain labels, one per line: they wrap and size reliably at any width.
        self.lines: list[QLabel] = []
        sections = QVBoxLayout()
        sections.setSpacing(4)
        for title, lines in forgot_sections(data_dir):
            section = QLabel(title)
            section.setObjectName("sectionTitle")
            sections.addSpacing(6)
            sections.addWidget(section)
            for text in lines:
                line = QLabel(text)
                line.setWordWrap(True)
                if text[:1] in "•1234":
                    line.setIndent(12)
                self.lines.append(line)
                sections.addWidget(line)
        self.status = StatusLabel()
        self.keep_trying_button = QPushButton(_("Keep trying"))
        self.keep_trying_button.setDefault(True)
        self.start_over_button = QPushButton(_("Move the files aside and start over"))
        self.start_over_button.setObjectName("dangerButton")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.keep_trying_button)
        buttons.addWidget(self.start_over_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addLayout(sections)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        grow_with_messages(self)
        # The layout's minimum would be a narrow column of wrapped lines: start readable.
        layout.activate()
        self.resize(WIDTH, layout.totalHeightForWidth(WIDTH))

    @property
    def explanation(self) -> str:
        """Every line of the explanation, as one text."""
        return "\n".join(line.text() for line in self.lines)
