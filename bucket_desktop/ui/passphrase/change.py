"""Change passphrase: check the current one, re-encrypt the key file under the new one."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog
from qasync import asyncSlot

from bucket_desktop.i18n import _
from bucket_desktop.services.keystore import KeystoreError
from bucket_desktop.services.passphrase_keys import PassphraseStore
from bucket_desktop.ui.common.dialog_helpers import run_dialog
from bucket_desktop.ui.common.widgets import StatusKind, busy
from bucket_desktop.ui.passphrase.change_view import ChangePassphraseView


class ChangePassphraseDialog:
    """Stays open with a sentence after any refusal; closes once the new file is written."""

    def __init__(self, view: ChangePassphraseView, store: PassphraseStore) -> None:
        self.view = view
        self._store = store
        view.change_button.clicked.connect(self.submit)
        view.cancel_button.clicked.connect(view.reject)

    async def ask(self) -> bool:
        """Show the dialog; True once the passphrase was changed."""
        return await run_dialog(self.view) == QDialog.DialogCode.Accepted

    @asyncSlot()
    async def submit(self) -> None:
        """Re-encrypt in a thread (scrypt is slow on purpose, twice here)."""
        view = self.view
        old, new = view.current.text(), view.new.text()
        if new != view.again.text():
            view.status.show_status(_("The two new passphrases differ."), StatusKind.ERROR)
            return
        view.status.show_status(_("Changing… (this takes a few seconds)"), StatusKind.WORKING)
        with busy(view.change_button, view.cancel_button):
            try:
                await asyncio.to_thread(self._store.change_passphrase, old, new)
            except (KeystoreError, OSError) as error:
                view.status.show_status(_sentence(error), StatusKind.ERROR)
                return
        view.accept()


def _sentence(error: Exception) -> str:
    if isinstance(error, OSError):
        return _(
            "The key file could not be written ({value}); the old passphrase still works."
        ).format(value=error.strerror or error)
    return str(error)
