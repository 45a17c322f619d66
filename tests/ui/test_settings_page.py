"""The Payment settings page against a real relay and the Daraja simulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from bucket_desktop.services.app_settings import AppPaths, SettingsFile
from bucket_desktop.services.credentials import DarajaCredentials
from bucket_desktop.services.keystore import VAULT_KEY
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.vault import new_vault_key
from bucket_desktop.ui.common.widgets import SecretLineEdit, StatusKind, StatusLabel
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView
from bucket_desktop.ui.shell.desktop import SETTINGS_PAGE, Desktop
from bucket_desktop.ui.shell.main_window import RelaySession
from server_stub.daraja_sim import scenarios
from server_stub.testing import RunningRelay
from tests.services.memory_keyring import MemoryKeyring
from tests.ui.held_answer import FirstAnswerHeld

GOOD = DarajaCredentials(
    consumer_key=scenarios.DEFAULT_CONSUMER_KEY,
    consumer_secret=scenarios.DEFAULT_CONSUMER_SECRET,
    shortcode=scenarios.DEFAULT_SHORTCODE,
    passkey=scenarios.DEFAULT_PASSKEY,
)


def type_into(qtbot: QtBot, widget: QLineEdit | SecretLineEdit, text: str) -> None:
    """Replace a field's text the way a person would."""
    line = widget.line_edit if isinstance(widget, SecretLineEdit) else widget
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Delete)
    qtbot.keyClicks(line, text)


def fill(qtbot: QtBot, view: SettingsPageView, creds: DarajaCredentials) -> None:
    """Type every credentials field."""
    type_into(qtbot, view.consumer_key, creds.consumer_key)
    type_into(qtbot, view.consumer_secret, creds.consumer_secret)
    type_into(qtbot, view.shortcode, creds.shortcode)
    type_into(qtbot, view.passkey, creds.passkey)


def finished(qtbot: QtBot, status: StatusLabel, timeout: int = 20_000) -> StatusKind:
    """Wait until a status line shows an outcome, and return its kind."""
    qtbot.waitUntil(lambda: status.kind in (StatusKind.OK, StatusKind.ERROR), timeout=timeout)
    return status.kind


def click(qtbot: QtBot, status: StatusLabel, button: Any) -> StatusKind:
    """Click a button whose work reports in `status`, and wait for the outcome."""
    status.show_status("")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return finished(qtbot, status)


def signed_in(run: Callable[..., Any], desktop: Desktop, relay: RunningRelay, token: str) -> None:
    run(desktop.sign_in(relay.base_url, token))


def test_fill_test_save_restart_push_and_verify(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    data_dir: Path,
    http: Any,
) -> None:
    questions: list[str] = []
    desktop = make_desktop()
    signed_in(run, desktop, relay, provider["owner_token"])
    assert desktop.window.show_page(SETTINGS_PAGE)
    view = desktop.settings_page.view
    local = view.local_status

    fill(qtbot, view, GOOD)
    type_into(qtbot, view.consumer_secret, "SIMwrongSecret00000000000000000")
    assert click(qtbot, local, view.test_button) is StatusKind.ERROR
    # The seconds stay on one line with their figure (a no-break space).
    assert "consumer key or secret is wrong" in local.text()
    assert local.text().endswith("\u00a0s)")
    assert view.test_button.isEnabled()

    type_into(qtbot, view.consumer_secret, GOOD.consumer_secret)
    assert click(qtbot, local, view.test_button) is StatusKind.OK
    assert "Daraja accepted" in local.text() and "\u00a0s)" in local.text()

    assert click(qtbot, local, view.save_button) is StatusKind.OK
    vault_text = (data_dir / "credentials.vault").read_text()
    assert GOOD.consumer_secret not in vault_text and GOOD.passkey not in vault_text

    desktop.window.view.close()
    again = make_desktop(confirm=lambda _title, question: questions.append(question) or True)
    run(again.settings_page.load_saved())
    view = again.settings_page.view
    assert view.consumer_key.text() == GOOD.consumer_key
    assert view.consumer_secret.text() == GOOD.consumer_secret
    assert view.shortcode.text() == GOOD.shortcode
    assert view.passkey.text() == GOOD.passkey
    assert again.window.current_key() != SETTINGS_PAGE  # remembered, shown once signed in
    signed_in(run, again, relay, provider["owner_token"])
    assert again.window.current_key() == SETTINGS_PAGE

    relay_status = view.relay_status
    assert click(qtbot, relay_status, view.push_button) is StatusKind.OK
    pins = SettingsFile(AppPaths.portable(data_dir).settings_file).load().pinned_fingerprints
    assert view.fingerprint.text() == f"{pins[relay.base_url]} (pinned)"
    # The first Push showed the fingerprint the operator printed, to compare.
    assert pins[relay.base_url] == relay.cli("fingerprint")["relay_key_fingerprint"]
    assert len(questions) == 1 and pins[relay.base_url] in questions[0]
    assert f"/payments/callback/{provider['provider_id']}/" in view.callback_url.text()
    summary = run(RelayClient(http, relay.base_url, provider["owner_token"]).credentials())
    assert summary.configured and summary.shortcode == GOOD.shortcode

    assert click(qtbot, relay_status, view.verify_button) is StatusKind.OK
    # Verify checked the key and secret only, and says no more.
    assert view.verified.text() == "Consumer key and secret accepted"
    assert view.proven.text().startswith("Not yet proven")
    assert not view.last_test.text().startswith("Not yet")
    assert "✔" in view.checks.text()
    assert "shortcode and passkey are proven only by a test prompt" in view.checks.text()

    qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == view.callback_url.text()


def test_changed_relay_key_stops_the_push(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    data_dir: Path,
    http: Any,
) -> None:
    settings_file = SettingsFile(AppPaths.portable(data_dir).settings_file)
    settings = settings_file.load()
    settings.pinned_fingerprints[relay.base_url] = "0000-0000-0000-0000"
    settings_file.save(settings)
    answers: list[str] = []

    def confirm(title: str, question: str) -> bool:
        answers.append(question)
        return True

    desktop = make_desktop(confirm=confirm)
    signed_in(run, desktop, relay, provider["owner_token"])
    assert desktop.window.show_page(SETTINGS_PAGE)
    view = desktop.settings_page.view
    fill(qtbot, view, GOOD)

    assert click(qtbot, view.relay_status, view.push_button) is StatusKind.ERROR
    assert "key changed from 0000-0000-0000-0000" in view.relay_status.text()
    assert "nothing was sent" in view.relay_status.text()
    assert view.trust_key_button.isVisible()
    client = RelayClient(http, relay.base_url, provider["owner_token"])
    assert not run(client.credentials()).configured

    qtbot.mouseClick(view.trust_key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.trust_key_button.isVisible())  # the question is awaited
    assert answers and "Trust the new key?" in answers[0]
    assert click(qtbot, view.relay_status, view.push_button) is StatusKind.OK
    assert run(client.credentials()).configured


def test_attendant_token_cannot_see_the_settings_page(
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = make_desktop()
    signed_in(run, desktop, relay, provider["attendant_token"])
    window = desktop.window
    assert SETTINGS_PAGE not in window.visible_keys()
    assert not window.show_page(SETTINGS_PAGE)
    assert window.current_key() != SETTINGS_PAGE
    assert window.view.sidebar.isRowHidden(0)
    assert window.view.pages.currentWidget() is not desktop.settings_page.view
    assert window.view.identity_label.text().startswith("Attendant")

    signed_in(run, desktop, relay, provider["owner_token"])
    assert window.view.identity_label.text() == "Owner · Kibera WiFi"
    assert window.show_page(SETTINGS_PAGE)


def test_fields_are_checked_as_typed(
    qtbot: QtBot,
    make_desktop: Callable[..., Desktop],
    run: Callable[..., Any],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = make_desktop()
    run(desktop.sign_in(relay.base_url, provider["owner_token"], remember=False))
    assert desktop.window.show_page(SETTINGS_PAGE)
    view = desktop.settings_page.view
    assert view.isVisible()  # on screen, so the layout is live
    qtbot.waitUntil(lambda: view.last_test.text() != "—")  # relay card filled

    def shown(widget: Any) -> bool:  # the page is off screen until an owner signs in
        return bool(widget.isVisibleTo(view))

    error = view.field_errors["shortcode"]
    view.layout().activate()
    save_at = view.save_button.mapTo(view, view.save_button.rect().topLeft())
    qtbot.keyClicks(view.shortcode, "12a")
    view.layout().activate()
    assert shown(error) and "5 to 7 digit" in error.text()
    # The error line had its room already: the buttons did not move under the mouse.
    assert view.save_button.mapTo(view, view.save_button.rect().topLeft()) == save_at
    type_into(qtbot, view.shortcode, "174379")
    assert error.text() == ""
    assert view.field_errors["consumer_key"].text() == ""  # untouched fields stay quiet

    assert not shown(view.till_number)
    view.account_type.setCurrentIndex(view.account_type.findData("till"))
    assert shown(view.till_number) and view.shortcode_label.text() == "Store number"
    assert view.field_errors["till_number"].text() == ""  # nothing typed yet, no error yet
    assert click(qtbot, view.local_status, view.save_button) is StatusKind.ERROR
    assert view.local_status.text() == "Fix the fields marked in red first."
    assert shown(view.field_errors["till_number"]) and view.field_errors["till_number"].text()
    assert view.field_errors["passkey"].text() == "The passkey is missing."
    # The message spoke of the values then: an edit takes it away.
    qtbot.keyClicks(view.passkey.line_edit, "x")
    assert not view.local_status.isVisible()


def test_save_leaves_the_buttons_where_they_were(
    qtbot: QtBot,
    make_desktop: Callable[..., Desktop],
    run: Callable[..., Any],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = make_desktop()
    run(desktop.sign_in(relay.base_url, provider["owner_token"], remember=False))
    assert desktop.window.show_page(SETTINGS_PAGE)
    view = desktop.settings_page.view
    # The relay card fills in once the relay answers: measure after that.
    qtbot.waitUntil(lambda: view.last_test.text() != "—")
    fill(qtbot, view, GOOD)

    def places() -> list[Any]:
        QApplication.processEvents()  # the layout settles in posted events
        buttons = (view.test_button, view.save_button, view.verify_button, view.push_button)
        return [button.mapTo(view, button.rect().topLeft()) for button in buttons]

    before = places()
    assert click(qtbot, view.local_status, view.save_button) is StatusKind.OK
    assert view.saved_note.text().startswith("Saved on this PC at")
    assert places() == before  # the columns did not reflow under the mouse


def test_pasted_spaces_are_gone_from_the_fields_after_save(
    qtbot: QtBot, make_desktop: Callable[..., Desktop]
) -> None:
    view = make_desktop().settings_page.view
    fill(qtbot, view, GOOD)
    type_into(qtbot, view.consumer_key, f"  {GOOD.consumer_key}\t")
    # Numbers copied from an e-mail keep their spaces; a passkey from a PDF breaks over lines.
    type_into(qtbot, view.shortcode, f"{GOOD.shortcode[:3]} {GOOD.shortcode[3:]}")
    passkey = view.passkey.line_edit
    QApplication.clipboard().setText(f"{GOOD.passkey[:20]}\n{GOOD.passkey[20:]}")
    passkey.selectAll()
    qtbot.keyClick(passkey, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert click(qtbot, view.local_status, view.save_button) is StatusKind.OK
    assert view.consumer_key.text() == GOOD.consumer_key
    assert view.shortcode.text() == GOOD.shortcode
    assert passkey.text() == GOOD.passkey


def test_secret_fields_are_masked_until_shown(
    qtbot: QtBot, make_desktop: Callable[..., Desktop]
) -> None:
    secret = make_desktop().settings_page.view.consumer_secret
    assert secret.line_edit.echoMode() == QLineEdit.EchoMode.Password
    qtbot.mouseClick(secret.toggle_button, Qt.MouseButton.LeftButton)
    assert secret.is_revealed() and secret.toggle_button.text() == "Hide"
    qtbot.mouseClick(secret.toggle_button, Qt.MouseButton.LeftButton)
    assert not secret.is_revealed()


def test_wrong_vault_key_destroys_nothing(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    memory_keyring: MemoryKeyring,
    data_dir: Path,
) -> None:
    desktop = make_desktop()
    fill(qtbot, desktop.settings_page.view, GOOD)
    assert (
        click(
            qtbot, desktop.settings_page.view.local_status, desktop.settings_page.view.save_button
        )
        is StatusKind.OK
    )
    vault = data_dir / "credentials.vault"
    before = vault.read_bytes()
    service = AppPaths.portable(data_dir).keyring_service
    memory_keyring.passwords[(service, VAULT_KEY)] = new_vault_key()

    again = make_desktop()
    run(again.settings_page.load_saved())
    status = again.settings_page.view.local_status
    assert status.kind is StatusKind.ERROR and "left untouched" in status.text()
    assert again.settings_page.view.consumer_key.text() == ""
    assert vault.read_bytes() == before

    fill(qtbot, again.settings_page.view, GOOD)
    assert click(qtbot, status, again.settings_page.view.save_button) is StatusKind.OK
    kept = [p for p in data_dir.iterdir() if p.name.startswith("credentials.vault.unreadable-")]
    assert len(kept) == 1 and kept[0].read_bytes() == before
    assert "unreadable file was kept" in status.text()
    assert json.loads(vault.read_text())["format"] == 1


def test_a_verify_answering_after_sign_out_is_not_shown(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desktop = make_desktop(confirm=lambda _title, _question: True)  # trust the relay's key
    signed_in(run, desktop, relay, provider["owner_token"])
    view = desktop.settings_page.view
    qtbot.waitUntil(lambda: view.relay_holds.text() != "", timeout=30_000)  # the first read
    fill(qtbot, view, GOOD)
    assert click(qtbot, view.relay_status, view.push_button) is StatusKind.OK  # a test to run
    # A slow relay: the owner signs out before Verify's test answers. (Only Verify asks for a
    # test; the Getting started page reads the relay's state too, so that read is not held.)
    tested = FirstAnswerHeld(monkeypatch, RelayClient, "test_credentials")
    read = FirstAnswerHeld(
        monkeypatch, RelayClient, "credentials", when=lambda *_args, **_kw: tested.answered
    )
    read.release.set()  # not held: it tells when Verify has taken its read of the state
    view.verify_button.click()
    try:
        qtbot.waitUntil(lambda: tested.asked == 1)
        desktop.window.set_session(None)
    finally:
        tested.release.set()
    qtbot.waitUntil(lambda: read.answered)
    assert view.relay_status.text() == "Sign in as the owner to use the relay."
    assert view.checks.text() == ""


def test_the_relay_state_asked_before_sign_out_is_not_shown_after_it(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: Any,
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = RelayClient(http, relay.base_url, provider["owner_token"])
    session = RelaySession(client, run(client.identify()))
    settings_page = make_desktop().settings_page  # the page alone: no other page reads too
    view = settings_page.view
    never_signed_in = (view.relay_holds.text(), view.callback_url.text(), view.verified.text())
    held = FirstAnswerHeld(monkeypatch, RelayClient, "credentials")
    try:
        settings_page.set_session(session)
        qtbot.waitUntil(lambda: held.asked == 1, timeout=30_000)
        settings_page.set_session(None)  # signed out while the sign-in's read is out
    finally:
        held.release.set()
    qtbot.waitUntil(lambda: held.answered, timeout=30_000)
    assert (view.relay_holds.text(), view.callback_url.text(), view.verified.text()) == (
        never_signed_in
    )
