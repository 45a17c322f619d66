"""Layout of the first-run dialog: relay address and token, or try the demo."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import _
from bucket_desktop.ui.common.dialog_helpers import grow_with_messages
from bucket_desktop.ui.common.widgets import SecretLineEdit, StatusLabel


class ConnectDialogView(QDialog):
    """Widgets only; `ConnectDialog` wires them. `first_run` is the welcome at a first start;
    otherwise ("Change relay…") it is a sign-in to another relay or with another token."""

    def __init__(self, parent: QWidget | None = None, *, first_run: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Connect to your relay") if first_run else _("Change relay"))
        self.setMinimumWidth(520)
        heading = QLabel(_("Welcome to Payment Bucket") if first_run else _("Sign in to a relay"))
        heading.setObjectName("cardTitle")
        intro = QLabel(
            _(
                "Enter the address of your payment relay and the token your relay operator gave "
                "you. No relay yet? Try the demo: it runs everything on this PC with a pretend "
                "M-PESA."
            )
            if first_run
            else _(
                "Enter the relay's address and a token for it (from your relay operator, or "
                "from the owner for an attendant desk). This desk stays signed in as it is until "
                "the new token is accepted."
            )
        )
        intro.setWordWrap(True)
        intro.setObjectName("hint")
        self.relay_url = QLineEdit()
        self.relay_url.setPlaceholderText("https://relay.example.com")
        self.token = SecretLineEdit()
        self.status = StatusLabel()
        self.demo_button = QPushButton(_("Try the demo"))
        self.cancel_button = QPushButton(_("Quit"))
        self.connect_button = QPushButton(_("Connect"))
        self.connect_button.setObjectName("primaryButton")
        self.connect_button.setDefault(True)
        if not first_run:
            # Another relay, not the first start: no demo to offer, and nothing to quit.
            self.demo_button.hide()
            self.cancel_button.setText(_("Cancel"))

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(_("Relay address"), self.relay_url)
        form.addRow(_("Token"), self.token)
        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.connect_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        grow_with_messages(self)
