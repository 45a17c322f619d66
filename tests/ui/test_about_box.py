"""The About box: versions, the relay in use, the log file with Open folder, and where Daraja
credentials are found (issue 13, item 10)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.ui.about.about import AboutBox, app_version
from bucket_desktop.ui.shell.desktop import Desktop
from server_stub.testing import RunningRelay
from tests.ui.test_dialogs import assert_fits
from tests.ui.test_settings_page import signed_in

PORTAL = 'href="https://developer.safaricom.co.ke"'


def test_about_shows_versions_relay_and_log_folder(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    data_dir: Path,
) -> None:
    desktop = make_desktop()
    signed_in(run, desktop, relay, provider["owner_token"])
    qtbot.mouseClick(desktop.window.view.about_button, Qt.MouseButton.LeftButton)
    view = desktop.about.view
    assert view is not None and view.isVisible()
    assert view.app_version.text() == app_version() != "unknown"
    assert view.relay_address.text() == relay.base_url
    expected = httpx.get(relay.base_url + "/healthz").json()["version"]
    qtbot.waitUntil(lambda: view.relay_version.text() == expected)
    assert view.log_file.text() == str(data_dir / "logs" / "bucket-desktop.log")
    assert PORTAL in view.daraja_help.text() and view.daraja_help.openExternalLinks()
    assert_fits(qtbot, view)
    qtbot.mouseClick(view.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desktop.about.view is None)


def test_open_folder_and_an_unreachable_relay(
    qtbot: QtBot, run: Callable[..., Any], http: httpx.AsyncClient, tmp_path: Path
) -> None:
    opened: list[Path] = []
    box = AboutBox(
        tmp_path / "logs" / "bucket-desktop.log", open_folder=lambda f: not opened.append(f)
    )
    view = box.show(None, RelayClient(http, "http://127.0.0.1:9", "t"))  # deleted at close
    qtbot.mouseClick(view.open_folder_button, Qt.MouseButton.LeftButton)
    assert opened == [tmp_path / "logs"]
    qtbot.waitUntil(lambda: view.relay_version.text().startswith("Not reachable now:"))
    assert "127.0.0.1:9" in view.relay_version.text()
    view.close_button.click()
    qtbot.waitUntil(lambda: box.view is None)

    signed_out = box.show(None, None)
    qtbot.addWidget(signed_out)
    assert signed_out.relay_address.text() == "Not signed in"
    box_failing = AboutBox(tmp_path / "x.log", open_folder=lambda _f: False)
    failing = box_failing.show(None, None)
    qtbot.addWidget(failing)
    failing.open_folder_button.click()
    assert "could not be opened" in failing.log_file.text()
    run(box.close())


def test_settings_page_links_to_where_daraja_credentials_are_found(
    make_desktop: Callable[..., Desktop],
) -> None:
    view = make_desktop().settings_page.view
    links = [label for label in view.findChildren(QLabel) if PORTAL in label.text()]
    assert links and all(label.openExternalLinks() for label in links)
