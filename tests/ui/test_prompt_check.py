"""The owner's honest setup checks: the first relay key compared, the test prompt to a phone."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.settings.prompt_check_dialog import PromptCheckDialog
from bucket_desktop.ui.shell.desktop import SETTINGS_PAGE, Desktop
from server_stub.testing import RunningRelay
from tests.ui.test_settings_page import GOOD, click, fill, signed_in, type_into

CANCELLING_PHONE = "0700 000 002"  # the simulator's "customer cancels" phone


def pushed_desktop(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    token: str,
    passkey: str = GOOD.passkey,
) -> Desktop:
    """Signed in as the owner, credentials pushed and verified on the relay."""
    desktop = make_desktop(confirm=lambda _title, _question: True)
    signed_in(run, desktop, relay, token)
    assert desktop.window.show_page(SETTINGS_PAGE)
    view = desktop.settings_page.view
    fill(qtbot, view, dataclasses.replace(GOOD, passkey=passkey))
    assert click(qtbot, view.relay_status, view.push_button) is StatusKind.OK
    assert click(qtbot, view.relay_status, view.verify_button) is StatusKind.OK
    return desktop


def open_prompt_dialog(qtbot: QtBot, desktop: Desktop) -> PromptCheckDialog:
    """Click “Send a test prompt to my phone…” and return the dialog it opens."""
    panel = desktop.settings_page.relay_panel
    qtbot.mouseClick(panel.view.test_prompt_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.prompt_dialog is not None and panel.prompt_dialog.view.isVisible()
    )
    assert panel.prompt_dialog is not None
    return panel.prompt_dialog


def test_a_cancelled_test_prompt_proves_shortcode_and_passkey(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = pushed_desktop(qtbot, run, make_desktop, relay, provider["owner_token"])
    view = desktop.settings_page.view
    assert view.proven.text().startswith("Not yet proven")
    assert view.verified.text() == "Consumer key and secret accepted"

    dialog = open_prompt_dialog(qtbot, desktop)
    assert dialog.view.amount.value() == 1
    type_into(qtbot, dialog.view.phone, "12")
    qtbot.mouseClick(dialog.view.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.view.status.kind is StatusKind.ERROR)  # nothing sent
    assert "phone" in dialog.view.status.text().lower()

    type_into(qtbot, dialog.view.phone, CANCELLING_PHONE)
    qtbot.mouseClick(dialog.view.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.view.status.kind is StatusKind.OK)
    assert "Daraja accepted the shortcode and passkey" in dialog.view.status.text()
    qtbot.waitUntil(lambda: "cancelled" in dialog.view.outcome.text(), timeout=30_000)
    assert "nothing was charged" in dialog.view.outcome.text()
    dialog.view.close_button.click()
    qtbot.waitUntil(lambda: view.proven.text().startswith("Proven by a test prompt"))
    assert view.verified.text() == "Verified: key, secret, shortcode and passkey"
    client = RelayClient(desktop.http, relay.base_url, provider["owner_token"])
    assert run(client.credentials()).prompt_proven_at


def test_a_wrong_passkey_passes_verify_but_fails_the_test_prompt(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = pushed_desktop(
        qtbot, run, make_desktop, relay, provider["owner_token"], passkey="f" * 64
    )
    view = desktop.settings_page.view
    assert view.relay_status.kind is StatusKind.OK  # Daraja's OAuth never sees the passkey
    assert "proven only by a test prompt" in view.checks.text()

    dialog = open_prompt_dialog(qtbot, desktop)
    type_into(qtbot, dialog.view.phone, "0712 345 678")
    qtbot.mouseClick(dialog.view.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.view.status.kind is StatusKind.ERROR)
    assert "shortcode and passkey do not match" in dialog.view.status.text()
    assert dialog.view.send_button.isEnabled()
    dialog.view.close_button.click()
    qtbot.waitUntil(lambda: desktop.settings_page.relay_panel.prompt_dialog is None)
    assert view.proven.text().startswith("Not yet proven")


def test_the_first_push_stops_unless_the_owner_confirms_the_fingerprint(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    questions: list[str] = []

    def declines(_title: str, question: str) -> bool:
        questions.append(question)
        return False

    desktop = make_desktop(confirm=declines)
    signed_in(run, desktop, relay, provider["owner_token"])
    assert desktop.window.show_page(SETTINGS_PAGE)
    view = desktop.settings_page.view
    fill(qtbot, view, GOOD)
    assert click(qtbot, view.relay_status, view.push_button) is StatusKind.ERROR
    fingerprint = relay.cli("fingerprint")["relay_key_fingerprint"]
    assert fingerprint in questions[0] and "operator" in questions[0]
    assert "Nothing was sent" in view.relay_status.text()
    assert view.fingerprint.text() == f"{fingerprint} (not confirmed)"
    client = RelayClient(desktop.http, relay.base_url, provider["owner_token"])
    assert not run(client.credentials()).configured
    assert relay.base_url not in desktop.settings.pinned_fingerprints


def test_changes_not_yet_on_the_relay_are_marked_until_pushed(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = pushed_desktop(qtbot, run, make_desktop, relay, provider["owner_token"])
    view = desktop.settings_page.view
    assert view.relay_holds.text().startswith(f"Paybill {GOOD.shortcode} · Sandbox · pushed ")
    assert not view.unpushed.isVisible()

    type_into(qtbot, view.passkey, "e" * 64)  # a secret: compared by digest, never sent back
    assert view.unpushed.isVisible() and "Unpushed changes" in view.unpushed.text()
    assert click(qtbot, view.local_status, view.save_button) is StatusKind.OK
    assert view.unpushed.isVisible()  # saved on this PC is not on the relay

    type_into(qtbot, view.passkey, GOOD.passkey)  # back to what the relay holds
    assert not view.unpushed.isVisible()
    type_into(qtbot, view.passkey, "e" * 64)
    assert click(qtbot, view.relay_status, view.push_button) is StatusKind.OK
    assert not view.unpushed.isVisible()
