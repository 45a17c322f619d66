"""Layout of the test-prompt dialog: the owner's phone, a small amount, and what it proves."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import N_, _
from bucket_desktop.ui.common.widgets import StatusLabel

TEST_PROMPT_MAX_AMOUNT = 100  # the relay refuses more (server_stub.api.requests)

EXPLANATION = (
    N_(
        "Daraja checks the shortcode and passkey only when it sends a payment prompt, so Test and "
        "Verify cannot. Send a small prompt to your own phone: if Daraja accepts it, they match."
    ),
    N_(
        "You may pay it (the money goes to your own paybill or till) or cancel it on the phone: "
        "either way the test has passed. A test prompt never counts in your sales."
    ),
)


class PromptCheckDialogView(QDialog):
    """Widgets only; `PromptCheckDialog` wires them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Send a test prompt to my phone"))
        self.setMinimumWidth(520)
        heading = QLabel(_("Prove the shortcode and passkey"))
        heading.setObjectName("cardTitle")
        paragraphs = [QLabel(_(text)) for text in EXPLANATION]
        for paragraph in paragraphs:
            paragraph.setWordWrap(True)
            paragraph.setObjectName("hint")
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(_("Your M-PESA phone, like 0712 345 678"))
        self.amount = QSpinBox()
        self.amount.setRange(1, TEST_PROMPT_MAX_AMOUNT)
        self.amount.setValue(1)
        self.amount.setPrefix(_("KES "))
        self.status = StatusLabel()
        self.outcome = StatusLabel()
        self.close_button = QPushButton(_("Close"))
        self.send_button = QPushButton(_("Send test prompt"))
        self.send_button.setObjectName("primaryButton")
        self.send_button.setDefault(True)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(_("Phone"), self.phone)
        form.addRow(_("Amount"), self.amount)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(heading)
        for paragraph in paragraphs:
            layout.addWidget(paragraph)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        layout.addLayout(buttons)
        # Wrapped labels get their height only for a width: room for both paragraphs and
        # the two outcome lines at the dialog's width.
        self.setMinimumHeight(440)
