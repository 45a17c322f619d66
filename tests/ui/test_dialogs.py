"""First-run dialog, passphrase dialog, and where the app keeps its secrets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel
from pytestqt.exceptions import TimeoutError as WaitTimeout
from pytestqt.qtbot import QtBot

from bucket_desktop.services.app_settings import AppPaths
from bucket_desktop.services.keystore import NO_STORE_SENTENCE, VAULT_KEY, KeyringStore
from bucket_desktop.services.passphrase_keys import PassphraseKeyFile
from bucket_desktop.ui.common.fit_check import clipped_widgets
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.passphrase.passphrase_dialog import PassphraseDialog
from bucket_desktop.ui.shell.connect_dialog import ConnectDialog
from bucket_desktop.ui.shell.connect_dialog_view import ConnectDialogView
from bucket_desktop.ui.shell.session import open_secret_store
from server_stub.testing import RunningRelay


def submit(qtbot: QtBot, dialog: Any, button: Any) -> None:
    dialog.view.status.show_status("")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: dialog.view.status.kind is StatusKind.ERROR or not dialog.view.isVisible(),
    )


def assert_fits(qtbot: QtBot, dialog: QDialog) -> None:
    """Nothing in the dialog is squashed or cut off (after the layout settles)."""
    with contextlib.suppress(WaitTimeout):
        qtbot.waitUntil(lambda: not clipped_widgets(dialog))
    assert clipped_widgets(dialog) == []


def test_connect_dialog_checks_the_token_before_keeping_it(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: Any,
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    dialog = ConnectDialog(ConnectDialogView(), http)
    qtbot.addWidget(dialog.view)
    answer = asyncio.ensure_future(dialog.ask())
    view = dialog.view
    qtbot.waitUntil(view.isVisible)

    submit(qtbot, dialog, view.connect_button)
    assert "Enter the relay's address" in view.status.text()

    qtbot.keyClicks(view.relay_url, relay.base_url)
    qtbot.keyClicks(view.token.line_edit, "wrong-token")
    submit(qtbot, dialog, view.connect_button)
    assert "token" in view.status.text() and view.isVisible()
    assert_fits(qtbot, view)  # the dialog grew with its message

    view.token.setText(provider["owner_token"])
    submit(qtbot, dialog, view.connect_button)
    choice = run(answer)
    assert choice is not None and not choice.demo
    assert choice.relay_url == relay.base_url and choice.identity.is_owner
    assert provider["owner_token"] not in repr(choice)


def test_connect_dialog_offers_the_demo(qtbot: QtBot, run: Callable[..., Any], http: Any) -> None:
    dialog = ConnectDialog(ConnectDialogView(), http)
    qtbot.addWidget(dialog.view)
    answer = asyncio.ensure_future(dialog.ask())
    qtbot.waitUntil(dialog.view.isVisible)
    qtbot.mouseClick(dialog.view.demo_button, Qt.MouseButton.LeftButton)
    choice = run(answer)
    assert choice is not None and choice.demo
    assert dialog.view.result() == QDialog.DialogCode.Accepted


def test_passphrase_dialog_creates_then_unlocks(
    qtbot: QtBot, run: Callable[..., Any], qloop: Any, tmp_path: Path
) -> None:
    key_file = PassphraseKeyFile(tmp_path / "keys.locked")
    creating = PassphraseDialog(key_file, NO_STORE_SENTENCE)
    qtbot.addWidget(creating.view)
    answer = asyncio.ensure_future(creating.ask())
    qtbot.waitUntil(creating.view.isVisible)
    creating.view.passphrase.setText("tea and mandazi")
    creating.view.confirmation.setText("tea and mandazis")
    submit(qtbot, creating, creating.view.ok_button)
    assert creating.view.status.text() == "The two passphrases differ."
    assert_fits(qtbot, creating.view)
    creating.view.confirmation.setText("tea and mandazi")
    submit(qtbot, creating, creating.view.ok_button)
    store = run(answer)
    assert store is not None and key_file.exists()
    store.set(VAULT_KEY, "vault-key-value")

    unlocking = PassphraseDialog(key_file, NO_STORE_SENTENCE)
    qtbot.addWidget(unlocking.view)
    assert not unlocking.creating and unlocking.view.ok_button.text() == "Unlock"
    answer = asyncio.ensure_future(unlocking.ask())
    qtbot.waitUntil(unlocking.view.isVisible)
    unlocking.view.passphrase.setText("coffee and mandazi")
    submit(qtbot, unlocking, unlocking.view.ok_button)
    assert unlocking.view.status.text() == "That passphrase does not open the key file."
    assert unlocking.view.isVisible()
    assert_fits(qtbot, unlocking.view)
    unlocking.view.passphrase.setText("tea and mandazi")
    submit(qtbot, unlocking, unlocking.view.ok_button)
    reopened = run(answer)
    assert reopened is not None and reopened.get(VAULT_KEY) == "vault-key-value"


def test_secret_store_is_the_keyring_when_one_is_usable(
    run: Callable[..., Any], tmp_path: Path
) -> None:
    store = run(open_secret_store(AppPaths.portable(tmp_path)))
    assert isinstance(store, KeyringStore)


def test_without_a_keyring_the_passphrase_dialog_is_asked(
    qtbot: QtBot, run: Callable[..., Any], tmp_path: Path
) -> None:
    keyring.set_keyring(fail.Keyring())  # the autouse fixture restores the previous one
    answer = asyncio.ensure_future(open_secret_store(AppPaths.portable(tmp_path)))
    dialogs: list[QDialog] = []

    def dialog_open() -> bool:
        dialogs[:] = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        return any(w.windowTitle() == "Create a passphrase" for w in dialogs)

    qtbot.waitUntil(dialog_open)
    dialog = next(w for w in dialogs if w.windowTitle() == "Create a passphrase")
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert any(text.startswith("This PC has no password store") for text in texts)
    dialog.reject()
    assert run(answer) is None
