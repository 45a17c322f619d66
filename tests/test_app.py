"""The composition root end to end: `main()` with a saved relay connection, twice."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QSize, Qt

from bucket_desktop.app import main, parse_args
from bucket_desktop.services.app_settings import AppPaths, AppSettings, SettingsFile
from bucket_desktop.services.keystore import RELAY_TOKEN
from bucket_desktop.ui.shell.desktop import PAYMENTS_PAGE
from bucket_desktop.ui.shell.main_window_view import MainWindowView
from server_stub.testing import RunningRelay, running_relay
from tests.services.memory_keyring import MemoryKeyring

TIMEOUT_S = 30.0


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RunningRelay]:
    with running_relay(tmp_path / "relay") as running:
        yield running


def run_app(data_dir: Path, step: Any) -> dict[str, Any]:
    """Run `main()` once; `step(view, seen)` runs when the window shows, then it is closed."""
    seen: dict[str, Any] = {}
    tasks: list[asyncio.Task[None]] = []

    async def drive(view: MainWindowView) -> None:
        try:
            await until(lambda: view.identity_label.text().startswith("Owner"))
            step(view, seen)
        finally:
            view.close()

    def on_shown(view: MainWindowView) -> None:
        tasks.append(asyncio.ensure_future(drive(view)))

    seen["status"] = main(["--data-dir", str(data_dir)], on_window_shown=on_shown)
    tasks[0].result()  # re-raise a failed assertion from inside the app
    return seen


async def until(condition: Any) -> None:
    deadline = asyncio.get_running_loop().time() + TIMEOUT_S
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def current_page(view: MainWindowView) -> str:
    return str(view.sidebar.currentItem().data(Qt.ItemDataRole.UserRole))


def test_main_signs_in_and_remembers_the_window(
    tmp_path: Path, memory_keyring: MemoryKeyring, relay: RunningRelay
) -> None:
    provider = relay.cli("create-provider", "--name", "Kibera WiFi")
    data_dir = tmp_path / "app"
    paths = AppPaths.portable(data_dir)
    SettingsFile(paths.settings_file).save(AppSettings(relay_url=relay.base_url))
    memory_keyring.set_password(paths.keyring_service, RELAY_TOKEN, provider["owner_token"])

    def first(view: MainWindowView, seen: dict[str, Any]) -> None:
        seen["identity"] = view.identity_label.text()
        # The offscreen screen is 800x800, so only the height can differ from the minimum width.
        view.resize(800, 690)
        row = next(
            i
            for i in range(view.sidebar.count())
            if view.sidebar.item(i).data(Qt.ItemDataRole.UserRole) == PAYMENTS_PAGE
        )
        view.sidebar.setCurrentRow(row)

    def second(view: MainWindowView, seen: dict[str, Any]) -> None:
        seen["size"] = view.size()
        seen["page"] = current_page(view)

    assert run_app(data_dir, first) == {"status": 0, "identity": "Owner · Kibera WiFi"}
    again = run_app(data_dir, second)
    assert again["size"] == QSize(800, 690)
    assert again["page"] == PAYMENTS_PAGE

    log_text = paths.log_file.read_text()
    assert "Signed in to" in log_text
    assert provider["owner_token"] not in log_text


def test_command_line() -> None:
    options = parse_args(["--demo", "--data-dir", "somewhere"])
    assert options.demo and options.data_dir == Path("somewhere")
    assert not parse_args([]).demo
    assert os.environ.get("QT_QPA_PLATFORM") == "offscreen"
