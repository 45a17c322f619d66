"""The Webhooks page's dialogs: an endpoint's address and events, and a secret shown once."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import _
from bucket_desktop.services.webhooks.models import EVENT_LABELS, NewSecret, WebhookEndpoint
from bucket_desktop.ui.common.dialog_helpers import run_dialog
from bucket_desktop.ui.common.shown_once import ShownOnceDialog, show_once
from bucket_desktop.ui.common.widgets import StatusKind, StatusLabel
from bucket_desktop.ui.settings.relay_texts import friendly_time

MAX_URL = 2048  # the relay's limits (server_stub.webhooks)
MAX_DESCRIPTION = 200
DEFAULT_EVENTS = ("payment.confirmed", "payment.failed", "payment.disputed")


@dataclass(frozen=True, slots=True)
class EndpointForm:
    """What the owner typed and ticked."""

    url: str
    description: str
    events: tuple[str, ...]


class EndpointDialog(QDialog):
    """Asks for an endpoint's address, a description and its events."""

    def __init__(
        self, title: str, current: WebhookEndpoint | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        self.url_edit = QLineEdit(current.url if current else "")
        self.url_edit.setMaxLength(MAX_URL)
        self.url_edit.setPlaceholderText("https://portal.example.com/payment-bucket")
        self.description_edit = QLineEdit(current.description if current else "")
        self.description_edit.setMaxLength(MAX_DESCRIPTION)
        self.description_edit.setPlaceholderText(_("Like “PHPNuxBill on the VPS” (optional)"))
        chosen = current.events if current else DEFAULT_EVENTS
        self.event_boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        for number, (event, label) in enumerate(EVENT_LABELS.items()):
            box = QCheckBox(_(label))
            box.setToolTip(event)
            box.setChecked(event in chosen)
            self.event_boxes[event] = box
            grid.addWidget(box, number, 0)
        self.status = StatusLabel()
        self.ok_button = QPushButton(_("Save") if current else _("Add"))
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
        layout.setSpacing(8)
        layout.addWidget(QLabel(_("Address of your receiver (it must start with https://):")))
        layout.addWidget(self.url_edit)
        layout.addWidget(QLabel(_("Description:")))
        layout.addWidget(self.description_edit)
        layout.addWidget(QLabel(_("Send these events:")))
        layout.addLayout(grid)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def form(self) -> EndpointForm:
        """The address, description and ticked events."""
        events = tuple(event for event, box in self.event_boxes.items() if box.isChecked())
        return EndpointForm(
            self.url_edit.text().strip(), self.description_edit.text().strip(), events
        )

    def _check(self) -> None:
        form = self.form()
        if not form.url:
            self.status.show_status(_("Type the address of your receiver."), StatusKind.ERROR)
            return
        if not form.events:
            self.status.show_status(_("Tick at least one event to send."), StatusKind.ERROR)
            return
        self.accept()


async def ask_endpoint(
    parent: QWidget, title: str, current: WebhookEndpoint | None = None
) -> EndpointForm | None:
    """The form filled in, or None when cancelled."""
    dialog = EndpointDialog(title, current, parent)
    accepted = await run_dialog(dialog) == QDialog.DialogCode.Accepted
    dialog.deleteLater()
    return dialog.form() if accepted else None


def secret_hint(made: NewSecret) -> str:
    """What the owner must do with a secret that is shown only once."""
    if made.old_secret_valid_until:
        until = friendly_time(made.old_secret_valid_until)
        return _(
            "Put this new secret into your receiver's settings. Until {until} every "
            "call is signed with both the old and the new secret, so nothing is "
            "missed while you change it. The secret is shown only now: copy it "
            "before closing."
        ).format(until=until)
    return _(
        "Put this secret into your receiver's settings: it checks with it that each call "
        "really comes from your relay. It is shown only now: copy it before closing. If it is "
        "lost or leaks, use “Rotate secret…”."
    )


class SecretDialog(ShownOnceDialog):
    """Shows a `whsec_` secret once, with a Copy button."""

    def __init__(self, made: NewSecret, parent: QWidget | None = None) -> None:
        super().__init__(
            title=_("Webhook secret"),
            heading=_("Secret for {url}").format(url=made.endpoint.url),
            hint=secret_hint(made),
            text=made.secret,
            height=40,
            parent=parent,
        )


async def show_secret(parent: QWidget, made: NewSecret) -> None:
    """Show the secret until the owner closes the dialog."""
    await show_once(SecretDialog(made, parent))
