"""One run of the app: demo mode with its role switch, and a saved token that stopped working."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from bucket_desktop.services.app_settings import AppPaths, AppSettings, SettingsFile
from bucket_desktop.services.keystore import RELAY_TOKEN
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayUnavailable
from bucket_desktop.services.relay_models import Identity
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.shell import session as session_module
from bucket_desktop.ui.shell.connect_dialog import ConnectChoice
from bucket_desktop.ui.shell.desktop import SETTINGS_PAGE, Desktop
from bucket_desktop.ui.shell.main_window_view import MainWindowView
from bucket_desktop.ui.shell.session import DesktopSession, demo_paths
from server_stub.daraja_sim import scenarios
from server_stub.testing import RunningRelay
from tests.services.memory_keyring import MemoryKeyring
from tests.ui.counter_support import new_provider
from tests.ui.held_answer import FirstAnswerHeld


def start(session: DesktopSession, shown: list[MainWindowView]) -> asyncio.Task[int]:
    session._on_shown = shown.append
    return asyncio.ensure_future(session.run())


def test_demo_signs_in_as_owner_switches_to_attendant_and_stops_its_children(
    qtbot: QtBot, run: Callable[..., Any], http: Any, tmp_path: Path
) -> None:
    paths = demo_paths(tmp_path / "demos")
    # Qt's own settings (the file dialog's) go to the throwaway folder too.
    qt_settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "QtProject")
    assert Path(qt_settings.fileName()).is_relative_to(paths.data_dir)
    session = DesktopSession(True, paths, http, None)
    shown: list[MainWindowView] = []
    first_look: dict[str, Any] = {}

    def on_shown(view: MainWindowView) -> None:
        shown.append(view)
        first_look.update(
            identity=view.identity_label.text(),
            pages_enabled=view.pages.isEnabled(),
            busy=view.progress.isVisible(),
            banner=view.banner.text(),
        )

    session._on_shown = on_shown
    running = asyncio.ensure_future(session.run())
    qtbot.waitUntil(lambda: bool(shown))
    view = shown[0]
    # The first screen says the demo is starting, with a busy bar, and offers nothing yet.
    assert first_look["identity"] == "Starting…" and first_look["busy"]
    assert not first_look["pages_enabled"]
    assert first_look["banner"].startswith("Starting the demo")
    qtbot.waitUntil(lambda: view.identity_label.text() == "Owner · Demo", timeout=30_000)
    assert view.pages.isEnabled() and not view.progress.isVisible()
    assert session.desktop is not None and session.demo_environment is not None
    page = session.desktop.settings_page.view
    assert session.desktop.window.current_key() == SETTINGS_PAGE
    assert page.consumer_key.text() == scenarios.DEFAULT_CONSUMER_KEY
    assert page.demo_card.isVisible()
    children = list(session.demo_environment.processes)

    qtbot.mouseClick(view.connection_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.identity_label.text().startswith("Attendant"))
    assert SETTINGS_PAGE not in session.desktop.window.visible_keys()
    assert view.connection_button.text() == "View as owner"
    qtbot.mouseClick(view.connection_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.identity_label.text() == "Owner · Demo")

    view.close()
    assert run(running) == 0
    run(session.shutdown())
    assert all(child.poll() is not None for child in children)
    # Settings, the last page, pinned relay keys and the log went with the throwaway folder:
    # the next demo starts as the first did.
    assert paths.settings_file.is_relative_to(paths.data_dir)
    assert paths.log_file.is_relative_to(paths.data_dir)
    assert list((tmp_path / "demos").iterdir()) == []


def test_a_revoked_saved_token_is_explained_in_the_window(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: Any,
    relay: RunningRelay,
    provider: dict[str, Any],
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
) -> None:
    paths = AppPaths.portable(tmp_path / "app")
    SettingsFile(paths.settings_file).save(AppSettings(relay_url=relay.base_url))
    memory_keyring.set_password(paths.keyring_service, RELAY_TOKEN, provider["owner_token"])
    relay.cli("revoke-token", provider["owner_token"])

    session = DesktopSession(False, paths, http, None)
    shown: list[MainWindowView] = []
    running = start(session, shown)
    qtbot.waitUntil(lambda: bool(shown))
    view = shown[0]
    qtbot.waitUntil(lambda: view.banner.kind is StatusKind.ERROR)
    assert "Change relay" in view.banner.text()
    assert view.identity_label.text() == "Not signed in"
    view.close()
    assert run(running) == 0
    run(session.shutdown())


def test_an_unreachable_relay_is_retried_and_never_blocks_closing(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: Any,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
) -> None:
    paths = AppPaths.portable(tmp_path / "app")
    SettingsFile(paths.settings_file).save(AppSettings(relay_url="http://127.0.0.1:9"))
    memory_keyring.set_password(paths.keyring_service, RELAY_TOKEN, "some-token")

    session = DesktopSession(False, paths, http, None)
    shown: list[MainWindowView] = []
    running = start(session, shown)
    qtbot.waitUntil(lambda: bool(shown))
    view = shown[0]
    qtbot.waitUntil(lambda: view.banner.kind is StatusKind.WARNING)
    assert "cannot be reached" in view.banner.text() and "Trying again in 2 s" in view.banner.text()
    view.close()
    # The saved relay is retried for ever: a close that waited for the retries would never end.
    assert run(running) == 0
    run(session.shutdown())


def test_a_relay_chosen_while_the_saved_one_is_retried_stays(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: Any,
    relay: RunningRelay,
    provider: dict[str, Any],
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = new_provider(relay, "Githurai WiFi")
    paths = AppPaths.portable(tmp_path / "app")
    SettingsFile(paths.settings_file).save(AppSettings(relay_url=relay.base_url))
    memory_keyring.set_password(paths.keyring_service, RELAY_TOKEN, provider["owner_token"])
    saved_relay_down = [True]
    identify = RelayClient.identify

    async def saved_relay_may_be_down(client: RelayClient) -> Identity:
        if saved_relay_down[0] and client._token == provider["owner_token"]:
            raise RelayUnavailable("The relay cannot be reached.", code="unreachable")
        return await identify(client)

    monkeypatch.setattr(RelayClient, "identify", saved_relay_may_be_down)
    monkeypatch.setattr(session_module, "RETRY_DELAYS_S", (0.5,))
    chosen_identity = run(RelayClient(http, relay.base_url, other["owner_token"]).identify())
    chosen = ConnectChoice(
        relay_url=relay.base_url, token=other["owner_token"], identity=chosen_identity
    )
    monkeypatch.setattr(session_module, "ConnectDialog", lambda *_args: ChosenAtOnce(chosen))

    session = DesktopSession(False, paths, http, None)
    shown: list[MainWindowView] = []
    running = start(session, shown)
    qtbot.waitUntil(lambda: bool(shown))
    view = shown[0]
    qtbot.waitUntil(lambda: "Trying again" in view.banner.text())
    saved_relay_down[0] = False  # the saved relay is back before the next try
    session.change_relay()  # ... but the person has chosen another one meanwhile
    desktop = session.desktop
    assert desktop is not None
    qtbot.waitUntil(lambda: desktop.window.session is not None)
    startup = session._startup
    assert startup is not None
    qtbot.waitUntil(startup.done)
    identity = desktop.window.session.identity if desktop.window.session else None
    assert identity is not None and identity.provider_name == "Githurai WiFi"
    view.close()
    assert run(running) == 0
    run(session.shutdown())


class ChosenAtOnce:
    """The Change relay dialog, answered with a checked choice as soon as it is asked."""

    def __init__(self, choice: ConnectChoice) -> None:
        self.choice = choice

    def prefill(self, *_args: object) -> None:
        """Nothing to show: the choice is made."""

    async def ask(self) -> ConnectChoice:
        return self.choice


def test_an_older_sign_in_answering_last_does_not_replace_a_newer_one(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = new_provider(relay, "Kawangware WiFi")
    held = FirstAnswerHeld(monkeypatch, RelayClient, "identify")  # the first sign-in answers last
    desktop = make_desktop()
    first = asyncio.ensure_future(
        desktop.sign_in(relay.base_url, provider["owner_token"], remember=False)
    )
    try:
        qtbot.waitUntil(lambda: held.asked == 1)
        run(desktop.sign_in(relay.base_url, other["owner_token"], remember=False))
    finally:
        held.release.set()
    run(first)
    session = desktop.window.session
    assert session is not None and session.identity.provider_name == "Kawangware WiFi"
