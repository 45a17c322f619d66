"""Every page in Kiswahili fits a 1024x600 netbook: nothing cut off or out of reach.

Swahili sentences run longer than English ones; the small-screens clipping check
(`bucket_desktop.ui.fit_check`) judges the same pages with the Swahili catalog loaded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.exceptions import TimeoutError as WaitTimeout
from pytestqt.qtbot import QtBot

from bucket_desktop.demo import demo_credentials
from bucket_desktop.demo_platform import seed_demo_providers
from bucket_desktop.i18n import ENGLISH, SWAHILI, _, set_language
from bucket_desktop.ui.desktop import PLATFORM_PAGE, Desktop
from bucket_desktop.ui.fit_check import clipped_widgets
from bucket_desktop.ui.main_window import MainWindow
from server_stub.testing import RunningRelay
from tests.ui.test_page_fit import paid_desktop

NETBOOK = (1024, 600)


@pytest.fixture
def swahili() -> Iterator[None]:
    """The app in Kiswahili for one test, English again afterwards."""
    assert set_language(SWAHILI) == SWAHILI
    yield
    set_language(ENGLISH)


def clipped_pages(window: MainWindow, qtbot: QtBot) -> dict[str, list[str]]:
    """Each page this session sees, shown at the netbook size: what is cut off on it."""
    window.view.resize(*NETBOOK)
    found: dict[str, list[str]] = {}
    for key in window.visible_keys():
        assert window.show_page(key)
        # Qt lays pages out in posted events: wait for the layout to settle, then judge it.
        with contextlib.suppress(WaitTimeout):
            qtbot.waitUntil(lambda: not clipped_widgets(window.view), timeout=10_000)
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
    qtbot.waitUntil(lambda: len(page.model.rows) >= 6, timeout=20_000)
    page.view.table.selectRow(0)
    assert page.model.headerData(0, Qt.Orientation.Horizontal) == _("Provider") == "Mtoa huduma"
    assert clipped_pages(desktop.window, qtbot) == {}
