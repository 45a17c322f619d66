"""Trust in the relay's sealing key: the first key is compared by a person, later ones must match.

Credentials are sealed to the relay's public key before they leave this PC. A relay that
shows another key than the one pinned may be someone else answering at its address, so
nothing is sent until the owner, told by the relay's operator that the key was changed,
trusts the new one.
"""

from __future__ import annotations

from collections.abc import Callable

from qasync import asyncSlot

from bucket_desktop.i18n import _
from bucket_desktop.services.app_settings import AppSettings, SettingsFile
from bucket_desktop.services.relay_models import RelayKey
from bucket_desktop.ui.common.dialog_helpers import Confirm, confirmed
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.settings.relay_texts import first_key_question
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView
from bucket_desktop.ui.shell.main_window import RelaySession

Status = Callable[[str, StatusKind], None]


class RelayKeyTrust:
    """The pinned fingerprint per relay address, the line that shows it and Trust new key."""

    def __init__(
        self,
        view: SettingsPageView,
        *,
        settings: AppSettings,
        settings_file: SettingsFile,
        confirm: Confirm,
        local_callbacks_ok: bool,
        status: Status,
    ) -> None:
        self.view = view
        self._settings = settings
        self._settings_file = settings_file
        self._confirm = confirm
        self._local_callbacks_ok = local_callbacks_ok
        self._status = status
        self._session: RelaySession | None = None
        self._offered_key: RelayKey | None = None
        view.trust_key_button.clicked.connect(self.trust_new_key)

    def set_session(self, session: RelaySession) -> None:
        """Show what is pinned for this relay's address."""
        self._session = session
        pinned = self._settings.pinned_fingerprints.get(session.client.base_url)
        self.view.fingerprint.setText(
            _("{pinned} (pinned)").format(pinned=pinned) if pinned else _("Not fetched yet")
        )

    async def is_trusted(self, session: RelaySession, key: RelayKey) -> bool:
        """True when `key` may be sealed to: it is the pinned one, or the first, confirmed."""
        pinned = self._settings.pinned_fingerprints.get(session.client.base_url)
        if pinned is None:
            return await self._first_key_confirmed(session, key)
        if pinned == key.fingerprint:
            self.view.fingerprint.setText(
                _("{fingerprint} (pinned)").format(fingerprint=key.fingerprint)
            )
            return True
        self._offered_key = key
        self.view.trust_key_button.show()
        self.view.fingerprint.setText(
            _("{fingerprint} (does not match {pinned})").format(
                fingerprint=key.fingerprint, pinned=pinned
            )
        )
        self._status(
            _(
                "Stopped: the relay's key changed from {pinned} to {fingerprint}, so "
                "nothing was sent. Someone may be impersonating the relay. Ask its "
                "operator before trusting the new key."
            ).format(pinned=pinned, fingerprint=key.fingerprint),
            StatusKind.ERROR,
        )
        return False

    @asyncSlot()
    async def trust_new_key(self) -> None:
        """After a person confirms, pin the relay's new key in place of the old one."""
        session, key = self._session, self._offered_key
        if session is None or key is None:
            return
        question = _(
            "The relay now shows the key {fingerprint}. Trust it only if the relay's "
            "operator told you the key was changed. Trust the new key?"
        ).format(fingerprint=key.fingerprint)
        if not await confirmed(self._confirm, _("Relay key changed"), question):
            return
        self._pin(session, key)
        self._offered_key = None
        self.view.trust_key_button.hide()
        self._status(_("The new relay key is trusted. Press Push to relay again."), StatusKind.OK)

    async def _first_key_confirmed(self, session: RelaySession, key: RelayKey) -> bool:
        # The demo's relay runs on this PC: there is no operator to compare with.
        question = first_key_question(session.client.base_url, key.fingerprint)
        if not self._local_callbacks_ok and not await confirmed(
            self._confirm, _("Compare the relay key"), question
        ):
            self.view.fingerprint.setText(
                _("{fingerprint} (not confirmed)").format(fingerprint=key.fingerprint)
            )
            self._status(
                _(
                    "Nothing was sent: the relay key was not confirmed. Ask your relay operator "
                    "for the relay key fingerprint, then press Push to relay again and compare."
                ),
                StatusKind.ERROR,
            )
            return False
        self._pin(session, key)
        return True

    def _pin(self, session: RelaySession, key: RelayKey) -> None:
        self._settings.pinned_fingerprints[session.client.base_url] = key.fingerprint
        self._settings_file.save(self._settings)
        self.view.fingerprint.setText(
            _("{fingerprint} (pinned)").format(fingerprint=key.fingerprint)
        )
