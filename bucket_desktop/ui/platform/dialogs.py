"""The Platform page's dialogs: a new provider's name, a new token's role and name, and new
tokens shown once."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import N_, _
from bucket_desktop.ui.common.dialog_helpers import run_dialog
from bucket_desktop.ui.common.shown_once import ShownOnceDialog, show_once
from bucket_desktop.ui.common.widgets import StatusKind, StatusLabel

MAX_NAME = 60  # the relay's limit for token names (provider names may be longer)
ROLES = ((N_("Attendant desk"), "attendant"), (N_("Owner"), "owner"))


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """What the administrator asked for."""

    role: str
    name: str


class NameDialog(QDialog):
    """One name, or a role and a name (for a token)."""

    def __init__(self, title: str, prompt: str, *, with_role: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(MAX_NAME if with_role else 100)
        self.role = QComboBox()
        for label, value in ROLES:
            self.role.addItem(_(label), value)
        self.status = StatusLabel()
        ok = QPushButton(_("OK"))
        ok.setObjectName("primaryButton")
        ok.setDefault(True)
        ok.clicked.connect(self._check)
        cancel = QPushButton(_("Cancel"))
        cancel.clicked.connect(self.reject)
        form = QFormLayout()
        if with_role:
            form.addRow(_("Role"), self.role)
        form.addRow(_("Name"), self.name_edit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(ok)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        hint = QLabel(prompt)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def name(self) -> str:
        """The name typed, without surrounding spaces."""
        return self.name_edit.text().strip()

    def _check(self) -> None:
        if not self.name() or not self.name().isprintable():
            self.status.show_status(_("Type a name."), StatusKind.ERROR)
            return
        self.accept()


async def ask_provider_name(parent: QWidget) -> str | None:
    """A new provider's name, or None when cancelled."""
    dialog = NameDialog(
        _("New provider"),
        _(
            "The hotspot business's name, as its owner and you will recognise it. It gets an owner "
            "token and an attendant token, shown once."
        ),
        with_role=False,
        parent=parent,
    )
    accepted = await run_dialog(dialog) == QDialog.DialogCode.Accepted
    dialog.deleteLater()
    return dialog.name() if accepted else None


async def ask_token(parent: QWidget, provider_name: str) -> TokenRequest | None:
    """The role and name of a new token for a provider, or None when cancelled."""
    dialog = NameDialog(
        _("New token for {provider_name}").format(provider_name=provider_name),
        _(
            "An owner token can change the M-PESA credentials and desks; an attendant token can "
            "only charge customers and see payments."
        ),
        with_role=True,
        parent=parent,
    )
    accepted = await run_dialog(dialog) == QDialog.DialogCode.Accepted
    dialog.deleteLater()
    if not accepted:
        return None
    return TokenRequest(role=str(dialog.role.currentData()), name=dialog.name())


class TokensShownOnce(ShownOnceDialog):
    """New sign-in details, shown this once, with a Copy button."""

    def __init__(self, title: str, text: str, parent: QWidget) -> None:
        super().__init__(
            title=title,
            heading=None,
            hint=(
                _(
                    "Send these to the provider privately. The tokens are shown only now: copy "
                    "them before closing. Anyone who has a token can act for that provider; if one "
                    "leaks, revoke it."
                )
            ),
            text=text,
            height=110,
            parent=parent,
        )


async def show_tokens(parent: QWidget, title: str, text: str) -> None:
    """Show new sign-in details until the administrator closes the dialog."""
    await show_once(TokensShownOnce(title, text, parent))
