"""Router page controller: the router's API login (Test, Save), the owner's binding of MikroTik
delivery to that router, and the delivery rounds this desk runs while signed in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime

from qasync import asyncSlot

from bucket_desktop.i18n import _, ngettext
from bucket_desktop.services.keystore import VAULT_KEY, KeystoreError, SecretStore
from bucket_desktop.services.mikrotik.deliveries import RoundResult, RouterDeliveries
from bucket_desktop.services.mikrotik.router_api import RouterError, router_identity, router_session
from bucket_desktop.services.mikrotik.router_settings import (
    RouterSettings,
    RouterSettingsError,
    RouterSettingsFile,
)
from bucket_desktop.services.relay_errors import RelayError, RelayForbidden
from bucket_desktop.services.vault import new_vault_key
from bucket_desktop.ui.common.edited_fields import EditedFields
from bucket_desktop.ui.common.newest_answer import NewestAnswer
from bucket_desktop.ui.common.widgets import StatusKind, busy
from bucket_desktop.ui.router.router_page_view import RouterPageView
from bucket_desktop.ui.shell.main_window import RelaySession

log = logging.getLogger(__name__)
ROUND_S = 15.0
SETTINGS_PATH = "/payments/bucket/access-settings/"


class RouterPage:
    """Wires the Router page to the router (librouteros) and the relay's delivery routes."""

    def __init__(
        self,
        view: RouterPageView,
        settings_file: RouterSettingsFile,
        secrets: SecretStore,
        *,
        round_s: float = ROUND_S,
    ) -> None:
        self.view = view
        self._file = settings_file
        self._secrets = secrets
        self._round_s = round_s
        self._session: RelaySession | None = None
        self._saved: RouterSettings | None = None
        self._tested_identity: str | None = None
        self._rounds: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        # The relay's access settings as read at sign-in or written by a button: the newest is
        # shown, so a slow first read cannot undo what Bind or Stop just showed.
        self._settings_reads = NewestAnswer()
        # The saved login is read at each sign-in, which can answer seconds after the page is
        # shown: what the owner typed meanwhile stays, only the fields left alone are filled.
        self._edits = EditedFields()
        self._edits.watch("address", view.address)
        self._edits.watch("username", view.username)
        self._edits.watch("password", view.password.line_edit)
        self._edits.watch("use_tls", view.use_tls)
        view.test_button.clicked.connect(self.test)
        view.save_button.clicked.connect(self.save)
        view.bind_button.clicked.connect(self.bind)
        view.unbind_button.clicked.connect(self.unbind)
        view.radius_on_button.clicked.connect(self.use_radius)
        view.radius_off_button.clicked.connect(self.stop_radius)
        self.set_session(None)

    def set_session(self, session: RelaySession | None) -> None:
        """Main window hook: start delivery rounds while signed in, stop them when not."""
        self._session = session
        self._settings_reads.drop_pending()  # the previous session's answers are not shown
        owner = session is not None and session.identity.role == "owner"
        for button in (
            self.view.bind_button,
            self.view.unbind_button,
            self.view.radius_on_button,
            self.view.radius_off_button,
        ):
            button.setVisible(owner)
        self._stop_rounds()
        if session is None:
            self.view.binding.setText(_("Sign in to the relay to make hotspot users here."))
            self.view.radius_state.show_status(_("Sign in to the relay to see its RADIUS."))
            return
        if not owner:
            # The relay tells its access settings to the owner only: say who decides.
            self.view.binding.setText(
                _("The owner switches hotspot users on or off from their desk.")
            )
            self.view.radius_state.show_status(_("The owner switches RADIUS on from their desk."))
        self._rounds = asyncio.ensure_future(self._run_rounds())

    async def close(self) -> None:
        """Stop the delivery rounds (the window is closing)."""
        task = self._rounds
        self._stop_rounds()
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    def _stop_rounds(self) -> None:
        if self._rounds is not None:
            self._rounds.cancel()
            self._rounds = None

    def _form(self) -> RouterSettings | None:
        view = self.view
        try:
            return RouterSettings.checked(
                view.address.text(),
                view.username.text(),
                view.password.text(),
                use_tls=view.use_tls.isChecked(),
            )
        except RouterSettingsError as error:
            view.status.show_status(str(error), StatusKind.ERROR)
            return None

    @asyncSlot()
    async def test(self) -> None:
        """Log in to the router with the form's values and say what happened."""
        settings = self._form()
        if settings is None:
            return
        self.view.status.show_status(_("Connecting to {address}…").format(address=settings.address))
        with busy(self.view.test_button, self.view.save_button):
            started = time.monotonic()
            try:
                async with router_session(settings) as api:
                    identity = await router_identity(api)
            except RouterError as error:
                self._tested_identity = None
                self.view.status.show_status(error.message, StatusKind.ERROR)
                return
        self._tested_identity = identity
        took = time.monotonic() - started
        self.view.status.show_status(
            _("Connected to the router “{identity}” as {username} ({took:.2f} s).").format(
                identity=identity, username=settings.username, took=took
            ),
            StatusKind.OK,
        )

    @asyncSlot()
    async def save(self) -> None:
        """Keep the router login encrypted on this PC."""
        settings = self._form()
        if settings is None:
            return
        with busy(self.view.save_button):
            try:
                await asyncio.to_thread(self._save, settings)
            except (KeystoreError, OSError) as error:
                self.view.status.show_status(
                    _("The router login could not be saved: {error}").format(error=error),
                    StatusKind.ERROR,
                )
                return
        self._saved = settings
        self.view.status.show_status(_("Saved, encrypted on this PC."), StatusKind.OK)
        self._wake.set()  # a round with the new login now, not in a quarter of a minute

    def _save(self, settings: RouterSettings) -> None:
        key = self._secrets.get(VAULT_KEY)
        if key is None:
            key = new_vault_key()
            self._secrets.set(VAULT_KEY, key)
        self._file.save(key, settings)

    async def load(self) -> None:
        """Fill the form's untouched fields with the saved router login, if any."""
        try:
            key = await asyncio.to_thread(self._secrets.get, VAULT_KEY)
        except KeystoreError:
            return
        saved = None if key is None else await asyncio.to_thread(self._file.load, key)
        if saved is None:
            return
        self._saved = saved
        kept = self._edits.fill(
            {
                "address": saved.address,
                "username": saved.username,
                "password": saved.password,
                "use_tls": saved.use_tls,
            }
        )
        # A Test or Save line the owner is reading about their own values stays.
        if kept and not self.view.status.text():
            self.view.status.show_status(
                _(
                    "Your changes were kept (not saved yet); the fields you had not changed "
                    "show the login saved on this PC."
                )
            )

    @asyncSlot()
    async def bind(self) -> None:
        """Owner: make hotspot users at the router this desk's Test reached."""
        if self._tested_identity is None:
            self.view.status.show_status(
                _("Test the router first: hotspot users go to the router the Test reached."),
                StatusKind.WARNING,
            )
            return
        body = {"mikrotik_enabled": True, "router_identity": self._tested_identity}
        await self._put_settings(body)

    @asyncSlot()
    async def unbind(self) -> None:
        """Owner: stop making hotspot users (the ones made stay until they expire)."""
        await self._put_settings({"mikrotik_enabled": False})

    @asyncSlot()
    async def use_radius(self) -> None:
        """Owner: have the relay write every paid plan's code into FreeRADIUS."""
        await self._put_settings({"radius_enabled": True})

    @asyncSlot()
    async def stop_radius(self) -> None:
        """Owner: stop writing new codes into FreeRADIUS (the ones written stay until expiry)."""
        await self._put_settings({"radius_enabled": False})

    async def _put_settings(self, body: dict[str, object]) -> None:
        session = self._session
        if session is None:
            return
        view = self.view
        put = session.client.request_json("PUT", SETTINGS_PATH, json_body=body)
        buttons = (view.bind_button, view.unbind_button, view.radius_on_button)
        with busy(*buttons, view.radius_off_button):
            try:
                answer = await self._settings_reads.take(put)
            except RelayError as error:
                shown = view.radius_state if "radius_enabled" in body else view.status
                shown.show_status(str(error), StatusKind.ERROR)
                return
        if answer is not None:
            self._show_settings(answer)
            self._wake.set()

    def _show_settings(self, settings: dict[str, object]) -> None:
        self._show_binding(settings)
        nas = settings.get("radius_nas_identifier")
        self.view.radius_on_button.setEnabled(bool(settings.get("radius_available")))
        if not settings.get("radius_available"):
            self.view.radius_state.show_status(
                _(
                    "This relay has no RADIUS server; its operator can add one "
                    "(RADIUS_DATABASE_URL)."
                )
            )
        elif settings.get("radius_problem"):
            self.view.radius_state.show_status(str(settings["radius_problem"]), StatusKind.ERROR)
        elif settings.get("radius_enabled"):
            self.view.radius_state.show_status(
                _(
                    "On: every paid plan's code is written into RADIUS. Each router's "
                    "identity must be {nas} (System > Identity)."
                ).format(nas=nas),
                StatusKind.OK,
            )
        else:
            self.view.radius_state.show_status(_("Off: the relay's RADIUS server is ready."))

    def _show_binding(self, settings: dict[str, object]) -> None:
        identity = settings.get("router_identity")
        if settings.get("mikrotik_enabled"):
            text = _(
                "On: every paid plan becomes a hotspot user on the router “{identity}”."
            ).format(identity=identity)
        else:
            text = _("Off: paid plans are not made into hotspot users.")
        self.view.binding.setText(text)

    async def _run_rounds(self) -> None:
        await self.load()
        session = self._session
        if session is not None and session.identity.role == "owner":
            read = session.client.request_json("GET", SETTINGS_PATH)
            try:
                settings = await self._settings_reads.take(read)
            except RelayForbidden:
                pass
            except RelayError as error:
                self.view.binding.setText(str(error))
            else:
                if settings is not None:
                    self._show_settings(settings)
        while self._session is session and session is not None:
            if self._saved is not None:
                result = await RouterDeliveries(session.client).run_once(self._saved)
                self._show_round(result)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._round_s)

    def _show_round(self, result: RoundResult) -> None:
        stamp = datetime.now().strftime("%H:%M")
        if result.problem is not None:
            self.view.deliveries.show_status(f"{stamp}: {result.problem}", StatusKind.WARNING)
        elif result.failed:
            text = (
                _("{stamp}: {made} made, {failed} not made (tried again by itself): {reason}")
                if result.delivered
                else _("{stamp}: {failed} not made (tried again by itself): {reason}")
            )
            self.view.deliveries.show_status(
                text.format(
                    stamp=stamp,
                    made=result.delivered,
                    failed=result.failed,
                    reason=result.reasons[0],
                ),
                StatusKind.WARNING,
            )
        elif result.delivered:
            self.view.deliveries.show_status(
                ngettext(
                    "{stamp}: {count} hotspot user made or removed.",
                    "{stamp}: {count} hotspot users made or removed.",
                    result.delivered,
                ).format(stamp=stamp, count=result.delivered),
                StatusKind.OK,
            )
        else:
            self.view.deliveries.show_status(
                _("{stamp}: nothing waiting for the router.").format(stamp=stamp)
            )
