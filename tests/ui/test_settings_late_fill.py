"""Payment settings: credentials read from this PC after the page is shown fill only the fields
the owner has not changed meanwhile.

At a start the saved credentials are read before the sign-in, and the page is the owner's only:
it is reachable while they are read only when that read is slow (a keyring waiting to be
unlocked) and the owner signs in meanwhile with “Change relay…”."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.shell.desktop import SETTINGS_PAGE, Desktop
from server_stub.testing import RunningRelay
from tests.ui.held_answer import FirstAnswerHeld
from tests.ui.test_settings_page import GOOD, click, fill, signed_in, type_into


def test_credentials_typed_while_the_saved_ones_are_read_stay(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = make_desktop()
    fill(qtbot, first.settings_page.view, GOOD)
    view = first.settings_page.view
    assert click(qtbot, view.local_status, view.save_button) is StatusKind.OK

    again = make_desktop()
    page, view = again.settings_page, again.settings_page.view
    # A keyring that asks to be unlocked: the saved credentials come late, and meanwhile the
    # owner signs in and starts typing a new shortcode.
    held = FirstAnswerHeld(
        monkeypatch,
        asyncio,
        "to_thread",
        when=lambda function, *_args, **_kw: function == page._vault.load,
    )
    loading = asyncio.ensure_future(page.load_saved())
    try:
        qtbot.waitUntil(lambda: held.asked == 1)
        signed_in(run, again, relay, provider["owner_token"])
        assert again.window.show_page(SETTINGS_PAGE)
        type_into(qtbot, view.shortcode, "600977")
    finally:
        held.release.set()
    run(loading)
    assert view.shortcode.text() == "600977"
    assert view.consumer_key.text() == GOOD.consumer_key
    assert view.consumer_secret.text() == GOOD.consumer_secret
    assert view.passkey.text() == GOOD.passkey
    assert view.saved_note.text() == "Saved on this PC."
    assert view.local_status.text() == (
        "Your changes were kept (not saved yet); the fields you had not changed show the "
        "credentials saved on this PC."
    )
    # The fields filled from the saved copy show no error; the kept one is checked as typed.
    assert all(label.text() == "" for label in view.field_errors.values())
