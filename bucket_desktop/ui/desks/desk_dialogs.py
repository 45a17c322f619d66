"""The Desks page's two dialogs: a desk's name, and a new desk's token (shown once)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import _
from bucket_desktop.services.relay_models import NewDesk
from bucket_desktop.ui.common.dialog_helpers import run_dialog
from bucket_desktop.ui.common.shown_once import ShownOnceDialog, show_once
from bucket_desktop.ui.common.widgets import StatusKind, StatusLabel

MAX_DESK_NAME = 60  # the relay's limit (server_stub.api.requests)


class DeskNameDialog(QDialog):
    """Asks for a desk's name; `name()` after it was accepted."""

    def __init__(self, title: str, current: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.name_edit = QLineEdit(current)
        self.name_edit.setMaxLength(MAX_DESK_NAME)
        self.name_edit.setPlaceholderText(_("Like “Counter 2” or “Mary's laptop”"))
        self.status = StatusLabel()
        self.ok_button = QPushButton(_("OK"))
        self.ok_button.setObjectName("primaryButton")
        self.ok_button.setDefault(True)
        cancel = QPushButton(_("Cancel"))
        cancel.clicked.connect(self.reject)
        self.ok_button.clicked.connect(self._check)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(QLabel(_("A name you will recognise in the list and in the payments:")))
        layout.addWidget(self.name_edit)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def name(self) -> str:
        """The name as typed, without surrounding spaces."""
        return self.name_edit.text().strip()

    def _check(self) -> None:
        if not self.name() or not self.name().isprintable():
            self.status.show_status(_("Type a name for the desk."), StatusKind.ERROR)
            return
        self.accept()


async def ask_desk_name(parent: QWidget, title: str, current: str = "") -> str | None:
    """The name typed, or None when cancelled."""
    dialog = DeskNameDialog(title, current, parent)
    accepted = await run_dialog(dialog) == QDialog.DialogCode.Accepted
    dialog.deleteLater()
    return dialog.name() if accepted else None


def sign_in_text(relay_url: str, token: str) -> str:
    """What the attendant types into “Connect to your relay” on the new desk's PC."""
    return _("Relay address: {relay_url}\nToken: {token}").format(relay_url=relay_url, token=token)


class DeskTokenDialog(ShownOnceDialog):
    """Shows a new desk's sign-in details once, with a Copy button."""

    def __init__(self, created: NewDesk, relay_url: str, parent: QWidget | None = None) -> None:
        super().__init__(
            title=_("New desk added"),
            heading=_("“{name}” can now sign in").format(name=created.desk.name),
            hint=(
                _(
                    "On the attendant's PC, start Payment Bucket and enter these in “Connect to "
                    "your relay”. This token is shown only now: copy it before closing. Anyone who "
                    "has it can charge customers for your shop, so send it privately; if it leaks, "
                    "revoke the desk."
                )
            ),
            text=sign_in_text(relay_url, created.token),
            height=64,
            width=560,
            parent=parent,
        )


async def show_desk_token(parent: QWidget, created: NewDesk, relay_url: str) -> None:
    """Show the new desk's sign-in details until the owner closes the dialog."""
    await show_once(DeskTokenDialog(created, relay_url, parent))
