"""A forgotten passphrase has a way out, and the passphrase can be changed (issue 13, item 2)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import keyring
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from bucket_desktop.services.app_settings import AppPaths
from bucket_desktop.services.keystore import RELAY_TOKEN, VAULT_KEY
from bucket_desktop.services.passphrase_keys import PassphraseKeyFile
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.passphrase.forgot_view import ForgotPassphraseView
from bucket_desktop.ui.passphrase.passphrase_dialog import PassphraseDialogView
from bucket_desktop.ui.shell.desktop import build_desktop
from bucket_desktop.ui.shell.session import open_secret_store
from tests.ui.test_dialogs import assert_fits, submit

OLD = "tea and mandazi"


def visible(kind: type[Any]) -> Any:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


def words(widget: Any) -> str:
    return " ".join(label.text() for label in widget.findChildren(QLabel))


def test_creating_a_passphrase_says_the_length_and_the_cost_before_typing(
    qtbot: QtBot, run: Callable[..., Any], tmp_path: Path
) -> None:
    keyring.set_keyring(fail.Keyring())  # the autouse fixture restores the previous one
    answer = asyncio.ensure_future(open_secret_store(AppPaths.portable(tmp_path)))
    qtbot.waitUntil(lambda: visible(PassphraseDialogView) is not None)
    view = visible(PassphraseDialogView)
    assert view.passphrase.text() == "" and view.advice.isVisible()
    text = words(view)
    assert (
        "at least 8 characters" in text
        and "At least 8" in view.passphrase.line_edit.placeholderText()
    )
    assert "cannot be opened and must be typed again" in text
    assert "money and the payments on the relay are not affected" in text
    assert "keyring" not in text.lower() and "password store" in text
    assert not view.forgot_button.isVisible()  # nothing to forget yet
    assert_fits(qtbot, view)
    view.reject()
    assert run(answer) is None


def test_forgot_passphrase_explains_the_loss_and_starts_over_safely(
    qtbot: QtBot, run: Callable[..., Any], tmp_path: Path
) -> None:
    paths = AppPaths.portable(tmp_path)
    old_store = PassphraseKeyFile(paths.key_file).create(OLD)
    old_store.set(VAULT_KEY, "old-vault-key")
    old_store.set(RELAY_TOKEN, "old-relay-token")
    paths.vault_file.write_text('{"format": 1, "data": "old"}')
    old_key_bytes = paths.key_file.read_bytes()
    keyring.set_keyring(fail.Keyring())
    answer = asyncio.ensure_future(open_secret_store(paths))
    qtbot.waitUntil(lambda: visible(PassphraseDialogView) is not None)
    unlock = visible(PassphraseDialogView)
    assert unlock.windowTitle() == "Unlock Payment Bucket" and unlock.forgot_button.isVisible()

    # Keep trying: nothing moves.
    qtbot.mouseClick(unlock.forgot_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: visible(ForgotPassphraseView) is not None)
    forgot = visible(ForgotPassphraseView)
    text = forgot.explanation
    for fact in (
        "Daraja credentials saved here",
        "relay token this PC signs in with",
        "Your money",
        "the relay keeps them",
        "The credentials the relay already holds",
        "Nothing is deleted",
        str(tmp_path),
        "ask your relay operator for a new one",
    ):
        assert fact in text, fact
    assert_fits(qtbot, forgot)
    qtbot.mouseClick(forgot.keep_trying_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not forgot.isVisible())
    assert unlock.isVisible() and paths.key_file.read_bytes() == old_key_bytes

    # Start over: the files go into a dated folder and a new passphrase is asked for.
    qtbot.mouseClick(unlock.forgot_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: visible(ForgotPassphraseView) is not None)
    forgot = visible(ForgotPassphraseView)
    qtbot.mouseClick(forgot.start_over_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            (view := visible(PassphraseDialogView)) is not None
            and view.windowTitle() == "Create a passphrase"
        ),
    )
    create = visible(PassphraseDialogView)
    (folder,) = [p for p in tmp_path.iterdir() if p.name.startswith("set-aside-")]
    assert (folder / "keys.locked").read_bytes() == old_key_bytes
    assert (folder / "credentials.vault").read_text() == '{"format": 1, "data": "old"}'
    assert not paths.key_file.exists() and not paths.vault_file.exists()
    assert str(folder) in create.status.text() and create.status.kind is StatusKind.OK
    create.passphrase.setText("a new passphrase")
    create.confirmation.setText("a new passphrase")
    qtbot.mouseClick(create.ok_button, Qt.MouseButton.LeftButton)
    store = run(answer)
    assert store is not None and store.get(RELAY_TOKEN) is None  # signed out: asked again
    assert PassphraseKeyFile(paths.key_file).unlock("a new passphrase").get(VAULT_KEY) is None
    # The old files still open with the old passphrase, should it come back to mind.
    assert PassphraseKeyFile(folder / "keys.locked").unlock(OLD).get(VAULT_KEY) == "old-vault-key"


def test_change_passphrase_in_settings(
    qtbot: QtBot, run: Callable[..., Any], http: httpx.AsyncClient, tmp_path: Path
) -> None:
    paths = AppPaths.portable(tmp_path)
    store = PassphraseKeyFile(paths.key_file).create(OLD)
    store.set(VAULT_KEY, "vault-key")
    desktop = build_desktop(paths, http, store, with_tray=False)
    page = desktop.settings_page
    assert not page.view.change_passphrase_button.isHidden()
    page.view.change_passphrase_button.click()  # the page is hidden until an owner signs in
    qtbot.waitUntil(lambda: page.passphrase_dialog is not None)
    dialog = page.passphrase_dialog
    view = dialog.view
    assert "At least 8" in view.new.line_edit.placeholderText()
    view.current.setText("not the old one")
    view.new.setText("a brand new phrase")
    view.again.setText("a brand new phrase")
    submit(qtbot, dialog, view.change_button)
    assert view.status.text() == "That is not the current passphrase; nothing was changed."
    view.current.setText(OLD)
    view.again.setText("a brand new phrase!")
    submit(qtbot, dialog, view.change_button)
    assert view.status.text() == "The two new passphrases differ."
    view.again.setText("a brand new phrase")
    submit(qtbot, dialog, view.change_button)
    qtbot.waitUntil(lambda: page.view.local_status.kind is StatusKind.OK)
    assert "passphrase was changed" in page.view.local_status.text()
    assert PassphraseKeyFile(paths.key_file).unlock("a brand new phrase").get(VAULT_KEY) == (
        "vault-key"
    )
    run(desktop.close())
    desktop.window.view.close()


def test_no_change_passphrase_button_with_an_os_keyring(
    make_desktop: Callable[..., Any],
) -> None:
    desktop = make_desktop()
    assert desktop.settings_page.view.change_passphrase_button.isHidden()
