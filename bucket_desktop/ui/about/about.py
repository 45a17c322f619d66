"""About box controller: fills in the versions and the log file, asks the relay for its own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from bucket_desktop.i18n import _
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.ui.about.about_view import AboutDialogView

DISTRIBUTION = "payment-bucket-desktop"
OpenFolder = Callable[[Path], bool]


def app_version() -> str:
    """This app's version, from its installed metadata."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def open_in_file_manager(folder: Path) -> bool:
    """Show the folder in the PC's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class AboutBox:
    """Opens the About box (one at a time) and keeps it until it is closed."""

    def __init__(self, log_file: Path, *, open_folder: OpenFolder = open_in_file_manager) -> None:
        self._log_file = log_file
        self._open_folder = open_folder
        self.view: AboutDialogView | None = None  # while open
        self._task: asyncio.Task[None] | None = None

    def show(self, parent: QWidget | None, client: RelayClient | None) -> AboutDialogView:
        """Open the box; the relay's version fills in when the relay answers."""
        if self.view is not None:
            self.view.raise_()
            return self.view
        view = AboutDialogView(parent)
        view.app_version.setText(app_version())
        view.log_file.setText(str(self._log_file))
        view.open_folder_button.clicked.connect(self.open_log_folder)
        view.close_button.clicked.connect(view.accept)
        view.finished.connect(self._closed)
        if client is None:
            view.relay_address.setText(_("Not signed in"))
            view.relay_version.setText("—")
        else:
            view.relay_address.setText(client.base_url)
            view.relay_version.setText(_("Asking the relay…"))
            self._task = asyncio.ensure_future(self._fetch_version(view, client))
        self.view = view
        view.open()
        return view

    def open_log_folder(self) -> None:
        """Show the log file's folder; say so in the box if the PC could not."""
        folder = self._log_file.parent
        if not self._open_folder(folder) and self.view is not None:
            self.view.log_file.setText(
                _("{log_file}\n(the folder could not be opened)").format(log_file=self._log_file)
            )

    async def _fetch_version(self, view: AboutDialogView, client: RelayClient) -> None:
        try:
            text = await client.relay_version()
        except RelayError as error:
            text = _("Not reachable now: {error}").format(error=error)
        if self.view is view:
            view.relay_version.setText(text)

    def _closed(self, _result: int) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self.view is not None:
            self.view.deleteLater()
        self.view = None

    async def close(self) -> None:
        """Stop a fetch in flight: the window is closing."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
