"""Payment settings controller: test credentials with Daraja, save them in the vault."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from qasync import asyncSlot

from bucket_desktop.i18n import _, current_language
from bucket_desktop.i18n.formatting import format_number, format_time
from bucket_desktop.i18n.qt.live import apply_language
from bucket_desktop.services.app_settings import AppSettings, SettingsFile
from bucket_desktop.services.credentials import DarajaCredentials
from bucket_desktop.services.daraja_client import DarajaClient
from bucket_desktop.services.daraja_errors import DarajaError
from bucket_desktop.services.keystore import VAULT_KEY, KeystoreError, SecretStore
from bucket_desktop.services.passphrase_keys import PassphraseStore
from bucket_desktop.services.vault import Vault, VaultError, VaultLocked, new_vault_key
from bucket_desktop.ui.common.dialog_helpers import Confirm
from bucket_desktop.ui.common.widgets import StatusKind, busy
from bucket_desktop.ui.passphrase.change import ChangePassphraseDialog
from bucket_desktop.ui.passphrase.change_view import ChangePassphraseView
from bucket_desktop.ui.settings.credentials_form import TEXT_FIELDS, CredentialsForm
from bucket_desktop.ui.settings.relay_panel import RelayPanel, ask_with_message_box
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView
from bucket_desktop.ui.setup_guards.real_money import EnvironmentGuard, sandbox_values_confirmed
from bucket_desktop.ui.shell.main_window import RelaySession

log = logging.getLogger(__name__)


class SettingsPage:
    """Wires the settings page: the form, Test, Save, and the relay panel."""

    def __init__(
        self,
        view: SettingsPageView,
        *,
        form: CredentialsForm,
        vault: Vault,
        secrets: SecretStore,
        daraja: DarajaClient,
        relay_panel: RelayPanel,
        confirm: Confirm = ask_with_message_box,
        settings: tuple[AppSettings, SettingsFile] | None = None,
    ) -> None:
        self.view = view
        self.form = form
        self.relay_panel = relay_panel
        self._vault = vault
        self._secrets = secrets
        self._daraja = daraja
        self._confirm = confirm
        # Set when the saved file cannot be opened: the next save moves it aside first.
        self._vault_unreadable = False
        # The last Test or Save result speaks of the values it saw: any edit makes it stale.
        for name in TEXT_FIELDS:
            form.field_edit(name).textEdited.connect(self._values_changed)
        for combo in (view.environment, view.account_type):
            combo.activated.connect(self._values_changed)
        # After the stale-result clearing above: its sentence about the switch must stay.
        self.environment_guard = EnvironmentGuard(
            view.environment, confirm, view.local_status, form.peek
        )
        view.test_button.clicked.connect(self.test_credentials)
        view.save_button.clicked.connect(self.save_credentials)
        view.change_passphrase_button.setVisible(isinstance(secrets, PassphraseStore))
        view.change_passphrase_button.clicked.connect(self.change_passphrase)
        self.passphrase_dialog: ChangePassphraseDialog | None = None  # while open
        self._settings = settings
        view.language.setCurrentIndex(max(0, view.language.findData(current_language())))
        view.language.activated.connect(self._language_chosen)
        # Told the new language's code after every switch (the header's button follows it).
        self.language_changed: list[Callable[[str], object]] = []
        self.language_changed.append(lambda _code: relay_panel.show_language())

    def choose_language(self, code: str) -> None:
        """Switch to `code` as if chosen in the list (the window header's button uses it)."""
        index = self.view.language.findData(code)
        if index >= 0:
            self.view.language.setCurrentIndex(index)
            self._language_chosen(index)

    def _language_chosen(self, index: int) -> None:
        """Switch the whole window at once and remember the choice for the next start."""
        code = apply_language(str(self.view.language.itemData(index)))
        for listener in self.language_changed:
            listener(code)
        if self._settings is not None:
            settings, settings_file = self._settings
            settings.language = code
            try:
                settings_file.save(settings)
            except OSError as error:
                self.view.local_status.show_status(
                    _("The language could not be kept for the next start: {reason}.").format(
                        reason=error.strerror or error
                    ),
                    StatusKind.WARNING,
                )

    def _values_changed(self) -> None:
        if self.view.local_status.kind is not StatusKind.WORKING:
            self.view.local_status.show_status("")

    def set_session(self, session: RelaySession | None) -> None:
        """Hand the relay connection to the relay panel."""
        self.relay_panel.set_session(session)

    def use_daraja(self, daraja: DarajaClient) -> None:
        """Test against this Daraja from now on (demo mode: the simulator)."""
        self._daraja = daraja

    def prefill(self, credentials: DarajaCredentials, note: str) -> None:
        """Fill the form (demo mode) without saving."""
        self.form.fill(credentials)
        self.view.saved_note.setText(note)

    async def load_saved(self) -> None:
        """Put the saved credentials, if any, into the fields the owner has not changed."""
        try:
            key = await asyncio.to_thread(self._secrets.get, VAULT_KEY)
            saved = await asyncio.to_thread(self._vault.load, key)
        except VaultLocked as error:
            self._vault_unreadable = True
            self.view.local_status.show_status(str(error), StatusKind.ERROR)
            return
        except (VaultError, KeystoreError) as error:
            self.view.local_status.show_status(str(error), StatusKind.ERROR)
            return
        if saved is None:
            return
        # The key can take seconds (a keyring to unlock): what the owner typed meanwhile stays.
        kept = self.form.fill_unedited(saved)
        self.view.saved_note.setText(_("Saved on this PC."))
        # A Test or Save line the owner is reading about their own values stays.
        if kept and not self.view.local_status.text():
            self.view.local_status.show_status(
                _(
                    "Your changes were kept (not saved yet); the fields you had not changed "
                    "show the credentials saved on this PC."
                )
            )

    @asyncSlot()
    async def test_credentials(self) -> None:
        """Ask Daraja for a token with these credentials, from this PC."""
        credentials = self.form.read()
        if credentials is None:
            self.view.local_status.show_status(
                _("Fix the fields marked in red first."), StatusKind.ERROR
            )
            return
        status = self.view.local_status
        status.show_status(_("Asking Daraja…"), StatusKind.WORKING)
        started = time.monotonic()
        with busy(self.view.test_button, self.view.save_button):
            try:
                await self._daraja.test_credentials(credentials)
            except DarajaError as error:
                status.show_status(
                    _("{error} ({seconds})").format(error=error, seconds=_seconds(started)),
                    StatusKind.ERROR,
                )
                return
        status.show_status(
            _(
                "Daraja accepted the consumer key and secret ({seconds}). The shortcode "
                "and passkey are proven only by a test prompt to your phone, after Push to relay."
            ).format(seconds=_seconds(started)),
            StatusKind.OK,
        )

    @asyncSlot()
    async def change_passphrase(self) -> None:
        """Ask for the current passphrase and a new one; re-encrypt the key file."""
        if not isinstance(self._secrets, PassphraseStore):
            return
        dialog = ChangePassphraseDialog(ChangePassphraseView(self.view), self._secrets)
        self.passphrase_dialog = dialog
        changed = await dialog.ask()
        self.passphrase_dialog = None
        if changed:
            self.view.local_status.show_status(
                _("The passphrase was changed: use the new one from the next start."),
                StatusKind.OK,
            )

    @asyncSlot()
    async def save_credentials(self) -> None:
        """Encrypt the credentials with the vault key and write them to the data folder."""
        credentials = self.form.read()
        if credentials is None:
            self.view.local_status.show_status(
                _("Fix the fields marked in red first."), StatusKind.ERROR
            )
            return
        status = self.view.local_status
        if not await sandbox_values_confirmed(credentials, self._confirm, "Save", status):
            return
        self.view.local_status.show_status(_("Saving…"), StatusKind.WORKING)
        with busy(self.view.test_button, self.view.save_button):
            try:
                moved = await asyncio.to_thread(self._save, credentials)
            except (KeystoreError, VaultError, OSError) as error:
                self.view.local_status.show_status(_sentence(error), StatusKind.ERROR)
                return
        stamp = format_time(datetime.now())
        self.view.saved_note.setText(_("Saved on this PC at {time}.").format(time=stamp))
        if moved is None:
            text = _("Saved, encrypted with a key kept in {store}.")
        else:
            text = _(
                "Saved, encrypted with a key kept in {store}. "
                "The old unreadable file was kept as {file}."
            )
        text = text.format(store=self._secrets.description, file=moved.name if moved else "")
        self.view.local_status.show_status(text, StatusKind.OK)

    def _save(self, credentials: DarajaCredentials) -> Path | None:
        """Blocking part of Save (keyring, disk); returns where an unreadable file went."""
        moved = None
        key = self._secrets.get(VAULT_KEY)
        if key is None or self._vault_unreadable:
            moved = self._vault.set_aside() if self._vault.exists() else None
            if key is None:
                key = new_vault_key()
                self._secrets.set(VAULT_KEY, key)
        self._vault.save(key, credentials)
        self._vault_unreadable = False
        log.info("Credentials saved for shortcode %s.", credentials.shortcode)
        return moved


def _seconds(started: float) -> str:
    # A no-break space: "(0.02" and "s)" never end up on two lines.
    return f"{format_number(time.monotonic() - started, decimals=2)}\u00a0s"


def _sentence(error: Exception) -> str:
    if isinstance(error, OSError):
        return _("The credentials could not be saved: {reason}.").format(
            reason=error.strerror or error
        )
    return str(error)
