"""One run of the app: open the secrets, sign in or start the demo, wait for the window to close."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import httpx
from PySide6.QtCore import QSettings, QTimer
from qasync import asyncSlot

from bucket_desktop.demo import (
    DemoEnvironment,
    DemoError,
    add_platform_admin,
    demo_credentials,
    start_demo,
)
from bucket_desktop.demo_platform import seed_demo_providers
from bucket_desktop.i18n import N_, _
from bucket_desktop.services.app_settings import AppPaths, SettingsFile
from bucket_desktop.services.daraja_client import DarajaClient
from bucket_desktop.services.keystore import (
    RELAY_TOKEN,
    KeyringStore,
    KeyringUnavailable,
    KeystoreError,
    MemoryStore,
    SecretStore,
)
from bucket_desktop.services.owner_setup.fresh_start import set_aside_locked_files
from bucket_desktop.services.passphrase_keys import PassphraseKeyFile
from bucket_desktop.services.relay_errors import RelayError, RelayUnavailable
from bucket_desktop.ui.common.demo_help import DEMO_INTRO, demo_phones
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.passphrase.passphrase_dialog import PassphraseDialog
from bucket_desktop.ui.passphrase.texts import started_over_note
from bucket_desktop.ui.shell.connect_dialog import ConnectChoice, ConnectDialog
from bucket_desktop.ui.shell.connect_dialog_view import ConnectDialogView
from bucket_desktop.ui.shell.desktop import SETTINGS_PAGE, Desktop, build_desktop
from bucket_desktop.ui.shell.main_window_view import MainWindowView

log = logging.getLogger(__name__)

ShownHook = Callable[[MainWindowView], None]
RETRY_DELAYS_S = (2.0, 5.0, 10.0, 20.0, 30.0)
VIEW_AS = {
    "owner": N_("View as owner"),
    "attendant": N_("View as attendant"),
    "admin": N_("View as platform admin"),
}
DEMO_STARTING = N_(
    "Starting the demo: an offline M-PESA simulator and a local relay on this PC. "
    "This takes a few seconds; nothing real is charged."
)


def demo_paths(parent: Path | None = None) -> AppPaths:
    """One throwaway folder (in `parent`, else the temp folder) for all of a demo run's state.

    Settings, pinned relay keys, the log and Qt's own settings (the file dialog's QtProject.conf)
    all stay inside it and go with it, so a demo never changes the next run (issue 12).
    """
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="payment-bucket-demo-", dir=parent))
    for qt_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(qt_format, QSettings.Scope.UserScope, str(root / "qt"))
    return AppPaths.portable(root)


async def open_secret_store(paths: AppPaths) -> SecretStore | None:
    """The OS keyring, or the passphrase key file where there is none; None if the person quits.

    A person who forgot the passphrase may start over: the locked files go into a dated folder
    and the dialog comes back asking for a new passphrase (then the relay sign-in is asked for
    as at a first start, its token having been in the old file).
    """
    try:
        return await asyncio.to_thread(KeyringStore.from_system, paths.keyring_service)
    except KeyringUnavailable as error:
        reason = str(error)
    log.warning("OS keyring refused (%s); using the passphrase key file.", reason)
    note = ""
    while True:
        dialog = PassphraseDialog(
            PassphraseKeyFile(paths.key_file),
            reason,
            start_over=lambda: set_aside_locked_files(paths),
            note=note,
        )
        store = await dialog.ask()
        if dialog.started_over is None:
            return store
        log.warning("Passphrase forgotten: locked files moved to %s.", dialog.started_over.folder)
        note = started_over_note(dialog.started_over.folder)


class DesktopSession:
    """Drives one run of the app from the first dialog to the closed window."""

    def __init__(
        self,
        demo: bool,
        paths: AppPaths,
        http: httpx.AsyncClient,
        on_shown: ShownHook | None,
        *,
        demo_providers: int = 0,
    ) -> None:
        self.demo = demo
        # With --demo-providers N the demo also has a platform administrator and N providers.
        self.demo_providers = demo_providers
        self.paths = paths
        self.http = http
        self.desktop: Desktop | None = None
        self.demo_environment: DemoEnvironment | None = None
        self._on_shown = on_shown
        self._closed: asyncio.Future[None] | None = None
        self._startup: asyncio.Future[None] | None = None
        self._previous_hook = sys.excepthook
        self._previous_interrupt = signal.getsignal(signal.SIGINT)
        self._wake_timer = QTimer()
        # Set when the person signs in with "Change relay…": the saved relay is not retried.
        self._relay_chosen = asyncio.Event()

    async def run(self) -> int:
        """Returns the exit status once the window has closed (or the person quit early)."""
        secrets, choice = await self._open()
        if secrets is None:
            return 0
        desktop = build_desktop(self.paths, self.http, secrets, demo=self.demo)
        self.desktop = desktop
        self._closed = asyncio.get_running_loop().create_future()
        desktop.window.closed.connect(self._window_closed)
        desktop.window.change_relay_requested.connect(self.change_relay)
        sys.excepthook = self._unexpected_error
        self._close_on_interrupt(desktop)
        desktop.window.restore_layout()
        if self.demo:
            # Nothing works before the demo relay answers: say so rather than offer a form.
            desktop.window.set_starting(_(DEMO_STARTING))
        desktop.window.view.show()
        if self._on_shown is not None:
            self._on_shown(desktop.window.view)
        # Started beside the wait for the close, so closing the window never waits for them.
        starting = self._start_demo(desktop) if self.demo else self._sign_in(desktop, choice)
        self._startup = asyncio.ensure_future(starting)
        self._startup.add_done_callback(self._startup_finished)
        await self._closed
        return 0

    async def shutdown(self) -> None:
        """Stop the demo children and put back what was changed."""
        if self._startup is not None and not self._startup.done():
            self._startup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._startup
        sys.excepthook = self._previous_hook
        self._wake_timer.stop()
        signal.signal(signal.SIGINT, self._previous_interrupt)
        if self.desktop is not None:
            await self.desktop.close()
        if self.demo_environment is not None:
            await asyncio.to_thread(self.demo_environment.stop)
        if self.demo:
            shutil.rmtree(self.paths.data_dir, ignore_errors=True)

    async def _open(self) -> tuple[SecretStore | None, ConnectChoice | None]:
        if self.demo:
            return MemoryStore(), None
        secrets = await open_secret_store(self.paths)
        if secrets is None:
            return None, None
        settings = SettingsFile(self.paths.settings_file).load()
        problem = ""
        try:
            token = await asyncio.to_thread(secrets.get, RELAY_TOKEN)
        except KeystoreError as error:
            token, problem = None, _("{error} Enter the token again.").format(error=error)
        if settings.relay_url and token:
            return secrets, None
        dialog = ConnectDialog(ConnectDialogView(), self.http)
        dialog.prefill(settings.relay_url, problem)
        choice = await dialog.ask()
        if choice is None:
            return None, None
        if choice.demo:
            self.demo = True
            self.paths = demo_paths()
            return MemoryStore(), None
        return secrets, choice

    async def _sign_in(self, desktop: Desktop, choice: ConnectChoice | None) -> None:
        await desktop.settings_page.load_saved()
        url = choice.relay_url if choice else desktop.settings.relay_url
        token = choice.token if choice else await desktop.saved_token()
        if not url or not token:
            return
        for attempt in itertools.count():
            try:
                await desktop.sign_in(url, token, remember=choice is not None)
            except RelayUnavailable as error:
                if self._relay_chosen.is_set():
                    return  # signed in with "Change relay…" meanwhile: that relay stays
                # A relay that is down or a PC still offline after sleep: keep trying quietly.
                delay = RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
                message = _("{error} Trying again in {delay:g} s.").format(error=error, delay=delay)
                desktop.window.show_message(message, StatusKind.WARNING)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._relay_chosen.wait(), delay)
                if self._relay_chosen.is_set():
                    return
                continue
            except RelayError as error:
                if not self._relay_chosen.is_set():
                    desktop.window.show_message(
                        _("{error} Use “Change relay…” to sign in again.").format(error=error),
                        StatusKind.ERROR,
                    )
                return
            if attempt and not self._relay_chosen.is_set():
                desktop.window.clear_message()
            return

    async def _start_demo(self, desktop: Desktop) -> None:
        window = desktop.window
        window.view.connection_button.setText(_(VIEW_AS["attendant"]))
        window.set_starting(_(DEMO_STARTING))
        try:
            self.demo_environment = await start_demo(self.paths.data_dir / "demo")
            await desktop.sign_in(
                self.demo_environment.relay_url, self.demo_environment.owner_token, remember=False
            )
            if self.demo_providers:
                await self._add_demo_platform(self.demo_environment)
        except (DemoError, RelayError, OSError) as error:
            window.finish_starting()
            window.show_message(
                _("The demo could not start: {error}").format(error=error), StatusKind.ERROR
            )
            return
        window.finish_starting()
        desktop.settings_page.use_daraja(
            DarajaClient(self.http, base_url_override=self.demo_environment.simulator_url)
        )
        desktop.settings_page.prefill(
            demo_credentials(), _("Demo: the offline simulator's credentials, not saved yet.")
        )
        desktop.settings_page.view.show_demo_phones(_(DEMO_INTRO), demo_phones())
        if desktop.settings.last_page is None:
            window.show_page(SETTINGS_PAGE)
        window.clear_message()

    @asyncSlot()
    async def change_relay(self) -> None:
        """Demo: switch between owner and attendant. Otherwise: sign in to another relay."""
        desktop = self.desktop
        if desktop is None:
            return
        if self.demo:
            await self._switch_demo_role(desktop)
            return
        dialog = ConnectDialog(ConnectDialogView(desktop.window.view, first_run=False), self.http)
        dialog.prefill(desktop.settings.relay_url)
        choice = await dialog.ask()
        if choice is None or choice.identity is None:
            return
        self._relay_chosen.set()
        try:
            await desktop.sign_in(choice.relay_url, choice.token)
        except RelayError as error:
            desktop.window.show_message(str(error), StatusKind.ERROR)
            return
        desktop.window.clear_message()

    async def _add_demo_platform(self, demo: DemoEnvironment) -> None:
        await add_platform_admin(demo)
        await seed_demo_providers(
            self.http, demo.relay_url, demo.admin_token, demo_credentials(), self.demo_providers
        )

    async def _switch_demo_role(self, desktop: Desktop) -> None:
        """Owner -> attendant (-> platform administrator, when the demo has one) -> owner."""
        demo, session = self.demo_environment, desktop.window.session
        if demo is None or session is None:
            return
        tokens = {"owner": demo.owner_token, "attendant": demo.attendant_token}
        if demo.admin_token:
            tokens["admin"] = demo.admin_token
        roles = list(tokens)
        after = roles[(roles.index(session.identity.role) + 1) % len(roles)]
        button = desktop.window.view.connection_button
        button.setEnabled(False)
        try:
            await desktop.sign_in(demo.relay_url, tokens[after], remember=False)
        except RelayError as error:
            desktop.window.show_message(str(error), StatusKind.ERROR)
        finally:
            button.setEnabled(True)
        now = desktop.window.session.identity.role if desktop.window.session else "owner"
        upcoming = roles[(roles.index(now) + 1) % len(roles)]
        button.setText(_(VIEW_AS[upcoming]))

    def _close_on_interrupt(self, desktop: Desktop) -> None:
        # Ctrl+C in the terminal of `make run` closes the window like the close button. Python
        # only sees the signal when it runs, so a timer wakes it while Qt waits for events.
        signal.signal(signal.SIGINT, lambda _signum, _frame: desktop.window.view.close())
        self._wake_timer.timeout.connect(lambda: None)
        self._wake_timer.start(300)

    def _startup_finished(self, task: asyncio.Future[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            self._unexpected_error(type(error), error, error.__traceback__)

    def _window_closed(self) -> None:
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    def _unexpected_error(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        log.error("Unexpected error", exc_info=(kind, error, trace))
        if self.desktop is not None:
            self.desktop.window.show_message(
                _(
                    "Something went wrong that the app did not expect; it was written to the "
                    "log file {log_file}."
                ).format(log_file=self.paths.log_file),
                StatusKind.ERROR,
            )
