"""First-run dialog controller: check the relay address and token before keeping them."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from PySide6.QtWidgets import QDialog
from qasync import asyncSlot

from bucket_desktop.i18n import _
from bucket_desktop.services.relay_client import RelayClient, RelayError, normalise_relay_url
from bucket_desktop.services.relay_models import Identity
from bucket_desktop.ui.common.dialog_helpers import run_dialog
from bucket_desktop.ui.common.widgets import StatusKind, busy
from bucket_desktop.ui.shell.connect_dialog_view import ConnectDialogView


@dataclass(frozen=True)
class ConnectChoice:
    """What the person chose: a checked relay connection, or the demo."""

    demo: bool = False
    relay_url: str = ""
    token: str = field(default="", repr=False)
    identity: Identity | None = None


class ConnectDialog:
    """Asks for the relay address and token and signs in once to prove they work."""

    def __init__(self, view: ConnectDialogView, http: httpx.AsyncClient) -> None:
        self.view = view
        self._http = http
        self.choice: ConnectChoice | None = None
        view.connect_button.clicked.connect(self.try_connect)
        view.demo_button.clicked.connect(self._choose_demo)
        view.cancel_button.clicked.connect(view.reject)

    def prefill(self, relay_url: str | None, message: str = "") -> None:
        """Start from a known address, with a reason for asking again."""
        if relay_url:
            self.view.relay_url.setText(relay_url)
        if message:
            self.view.status.show_status(message, StatusKind.WARNING)

    async def ask(self) -> ConnectChoice | None:
        """Show the dialog; None when the person quits."""
        accepted = await run_dialog(self.view)
        return self.choice if accepted == QDialog.DialogCode.Accepted else None

    @asyncSlot()
    async def try_connect(self) -> None:
        """Sign in to the relay with the token; keep the dialog open on failure."""
        try:
            url = normalise_relay_url(self.view.relay_url.text())
        except ValueError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        token = self.view.token.text().strip()
        if not token:
            self.view.status.show_status(
                _("Enter the token your relay operator gave you."), StatusKind.ERROR
            )
            return
        self.view.status.show_status(_("Connecting to {url}…").format(url=url), StatusKind.WORKING)
        controls = (self.view.connect_button, self.view.demo_button, self.view.relay_url)
        with busy(*controls):
            try:
                identity = await RelayClient(self._http, url, token).identify()
            except RelayError as error:
                self.view.status.show_status(str(error), StatusKind.ERROR)
                return
        self.choice = ConnectChoice(relay_url=url, token=token, identity=identity)
        self.view.accept()

    def _choose_demo(self) -> None:
        self.choice = ConnectChoice(demo=True)
        self.view.accept()
