"""The relay panel's callback-address warnings, in both languages.

The demo's simulator calls back on this PC, so its local http address is fine there; any other
problem of the address is still said. The filter compares sentences, never English words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bucket_desktop.i18n import ENGLISH, SWAHILI
from bucket_desktop.i18n.qt.live import apply_language
from bucket_desktop.ui.shell.desktop import Desktop

LOCAL = "http://127.0.0.1:8080/payments/callback"
LOCAL_WITH_QUERY = "http://127.0.0.1:8080/callback?shop=1"


@pytest.fixture(params=[ENGLISH, SWAHILI])
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test once per language, English again afterwards."""
    yield request.param
    apply_language(ENGLISH)


def warnings_for(desktop: Desktop, url: str) -> str:
    """What the panel says about `url` as the relay's callback address (Sandbox)."""
    panel = desktop.settings_page.relay_panel
    panel._lint(url, "sandbox")
    return panel.view.callback_warnings.text()


def test_the_demo_takes_a_local_address_in_any_language(
    make_desktop: Callable[..., Desktop], language: str
) -> None:
    desktop = make_desktop(demo=True)
    apply_language(language)
    assert warnings_for(desktop, LOCAL) == ""
    # A query string is wrong for Safaricom wherever the relay runs: still said.
    said = warnings_for(desktop, LOCAL_WITH_QUERY)
    assert "?..." in said and "127.0.0.1" not in said


def test_outside_the_demo_a_local_address_is_a_warning(
    make_desktop: Callable[..., Desktop], language: str
) -> None:
    desktop = make_desktop()
    apply_language(language)
    assert "127.0.0.1:8080" in warnings_for(desktop, LOCAL)
