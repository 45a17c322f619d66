"""One run of the app: demo mode with its role switch, and a saved token that stopped working."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from bucket_desktop.services.app_settings import AppPaths, AppSettings, SettingsFile
from bucket_desktop.services.keystore import RELAY_TOKEN
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.shell.desktop import SETTINGS_PAGE
from bucket_desktop.ui.shell.main_window_view import MainWindowView
from bucket_desktop.ui.shell.session import DesktopSession, demo_paths
from server_stub.daraja_sim import scenarios
from server_stub.testing import RunningRelay
from tests.services.memory_keyring import MemoryKeyring


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
    assert run(running, timeout_ms=2_000) == 0
    run(session.shutdown(), timeout_ms=2_000)
