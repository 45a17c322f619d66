"""Every page in Kiswahili fits a 1024x600 netbook: nothing cut off or out of reach.

Swahili sentences run longer than English ones; the small-screens clipping check
(`bucket_desktop.ui.common.fit_check`) judges the same pages with the Swahili catalog loaded, once
with the app started in Kiswahili and once switched to it live from English.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QWidget
from pytestqt.exceptions import TimeoutError as WaitTimeout
from pytestqt.qtbot import QtBot

from bucket_desktop.demo import demo_credentials
from bucket_desktop.demo_platform import seed_demo_providers
from bucket_desktop.i18n import ENGLISH, SWAHILI, _, set_language
from bucket_desktop.i18n.qt.live import apply_language
from bucket_desktop.services.app_settings import AppPaths, SettingsFile
from bucket_desktop.ui.common.fit_check import clipped_widgets
from bucket_desktop.ui.shell.desktop import PLATFORM_PAGE, Desktop
from bucket_desktop.ui.shell.main_window import MainWindow
from server_stub.testing import RunningRelay
from tests.ui.test_page_fit import paid_desktop

NETBOOK = (1024, 600)


@pytest.fixture
def swahili(data_dir: Path) -> Iterator[None]:
    """The app started in Kiswahili (the language chosen in its settings), English afterwards."""
    settings_file = SettingsFile(AppPaths.portable(data_dir).settings_file)
    settings = settings_file.load()
    settings.language = SWAHILI
    settings_file.save(settings)
    yield
    set_language(ENGLISH)


def english_left(window: MainWindow) -> list[str]:
    """Texts on the page shown that are still an English message with a Swahili translation."""
    found = []
    for widget in window.view.findChildren(QWidget):
        if not widget.isVisibleTo(window.view):
            continue
        texts = []
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        if isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())
        texts.append(widget.toolTip())
        found += [text for text in texts if text and _(text) != text]
    return found


def clipped_pages(window: MainWindow, qtbot: QtBot) -> dict[str, list[str]]:
    """Each page this session sees, shown at the netbook size: what is cut off on it."""
    window.view.resize(*NETBOOK)
    found: dict[str, list[str]] = {}
    for key in window.visible_keys():
        assert window.show_page(key)
        # Qt lays pages out in posted events: wait for the layout to settle, then judge it.
        with contextlib.suppress(WaitTimeout):
            qtbot.waitUntil(lambda: not clipped_widgets(window.view))
        if problems := clipped_widgets(window.view):
            found[key] = problems
    return found


@pytest.mark.usefixtures("swahili")
def test_the_owners_pages_in_swahili_fit_a_netbook(
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    run: Callable[..., Any],
    qtbot: QtBot,
) -> None:
    desktop = paid_desktop(make_desktop, relay, run, qtbot)
    view = desktop.window.view
    # The pages really are in Kiswahili: the sidebar, the counter's button, a paid prompt.
    titles = [view.sidebar.item(row).text() for row in range(view.sidebar.count())]
    assert "Toza mteja" in titles and "Malipo" in titles
    assert desktop.counter.charge_view.send_button.text() == "Tuma ombi la malipo"
    stk = desktop.counter.stk_status_view
    assert stk.state_word.text().startswith("Imelipwa")
    assert len(desktop.window.visible_keys()) >= 6
    assert clipped_pages(desktop.window, qtbot) == {}
    assert stk.receipt.width() >= stk.receipt.sizeHint().width()


def test_the_owners_pages_switch_to_swahili_live_and_still_fit(
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    run: Callable[..., Any],
    qtbot: QtBot,
) -> None:
    desktop = paid_desktop(make_desktop, relay, run, qtbot)
    window = desktop.window
    charge = desktop.counter.charge_view
    charge.phone_edit.setText("0712 345 678")  # typed before the switch, kept after it
    try:
        apply_language(SWAHILI)
        assert charge.send_button.text() == "Tuma ombi la malipo"
        assert charge.phone_edit.text() == "0712 345 678"
        assert clipped_pages(window, qtbot) == {}
        left = {}
        for key in window.visible_keys():
            window.show_page(key)
            if texts := english_left(window):
                left[key] = texts
        assert left == {}
    finally:
        apply_language(ENGLISH)
    assert charge.send_button.text() == "Send payment prompt"
    titles = [window.view.sidebar.item(row).text() for row in range(window.view.sidebar.count())]
    assert "Charge customer" in titles


@pytest.mark.usefixtures("swahili")
def test_the_platform_page_in_swahili_fits_a_netbook(
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    run: Callable[..., Any],
    qtbot: QtBot,
    http: httpx.AsyncClient,
) -> None:
    boss = relay.cli("create-admin", "--name", "Timu ya jukwaa")
    run(
        seed_demo_providers(http, relay.base_url, boss["token"], demo_credentials(), 6),
        timeout_ms=120_000,
    )
    desktop = make_desktop()
    run(desktop.sign_in(relay.base_url, boss["token"]))
    assert desktop.window.visible_keys() == [PLATFORM_PAGE]
    page = desktop.platform
    qtbot.waitUntil(lambda: len(page.model.rows) >= 6)
    page.view.table.selectRow(0)
    assert page.model.headerData(0, Qt.Orientation.Horizontal) == _("Provider") == "Mtoa huduma"
    assert clipped_pages(desktop.window, qtbot) == {}
