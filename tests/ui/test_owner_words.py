"""The owner never reads the operator's words (issue 13, item 7): no setting names, no command
names, no HTTP status numbers, no "OS keyring"; what the owner can do, and what to ask the relay
operator for. Each case is one the owner meets in the app, with the real relay and simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from keyring.backends import fail, null
from keyring.errors import KeyringError
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from bucket_desktop.services.daraja_errors import classify
from bucket_desktop.services.keystore import KeyringStore, KeystoreError, refusal_reason
from bucket_desktop.services.mpesa_rules import lint_callback_url
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.services.vault import Vault, VaultLocked, new_vault_key
from bucket_desktop.ui.shell.connect_dialog import ConnectDialog
from bucket_desktop.ui.shell.connect_dialog_view import ConnectDialogView
from bucket_desktop.ui.shell.desktop import Desktop
from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.testing import RunningRelay
from tests.services.memory_keyring import MemoryKeyring
from tests.ui.test_dialogs import submit
from tests.ui.test_settings_page import GOOD, click, fill, signed_in

OPERATOR_WORDS = (
    "BASE_URL",
    "DATABASE_URL",
    "ENCRYPTION_KEY",
    "set-credentials",
    "bucket-relay",
    "HTTP 4",
    "HTTP 5",
    "keyring",
    "backend",
)


def assert_owner_words(text: str) -> None:
    found = [word for word in OPERATOR_WORDS if word.lower() in text.lower()]
    assert not found, f"{found} in: {text}"


def test_verify_with_a_local_relay_address_says_it_once_in_owner_words(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = make_desktop(confirm=lambda _title, _question: True)
    signed_in(run, desktop, relay, provider["owner_token"])
    view = desktop.settings_page.view
    fill(qtbot, view, GOOD)
    click(qtbot, view.relay_status, view.push_button)
    click(qtbot, view.relay_status, view.verify_button)
    labels = view.findChildren(QLabel)
    shown = " ".join(label.text() for label in labels if label.isVisibleTo(view))
    assert_owner_words(shown)
    # The relay's address on the test machine is a local one: said once, with who can fix it.
    assert shown.count("Safaricom cannot reach") == 1
    assert shown.count("Ask your relay operator to give the relay a public HTTPS address") == 1
    assert "see the warning above" in view.checks.text()


def test_the_relay_without_credentials_says_who_sends_them(
    run: Callable[..., Any], http: httpx.AsyncClient, relay: RunningRelay, provider: dict[str, Any]
) -> None:
    for token in (provider["owner_token"], provider["attendant_token"]):
        client = RelayClient(http, relay.base_url, token)
        with pytest.raises(RelayError) as refused:
            run(
                client.initiate(
                    phone_number="254708374149",
                    amount=1,
                    account_reference="WiFi",
                    transaction_desc="1 hour",
                )
            )
        assert "Payment settings page with Push to relay" in str(refused.value)
        assert_owner_words(str(refused.value))


def connect_message(qtbot: QtBot, http: httpx.AsyncClient, address: str, token: str) -> str:
    dialog = ConnectDialog(ConnectDialogView(), http)
    qtbot.addWidget(dialog.view)
    answer = asyncio.ensure_future(dialog.ask())
    qtbot.waitUntil(dialog.view.isVisible)
    dialog.view.relay_url.setText(address)
    dialog.view.token.setText(token)
    submit(qtbot, dialog, dialog.view.connect_button)
    text = dialog.view.status.text()
    dialog.view.reject()
    qtbot.waitUntil(answer.done)
    return text


def test_a_wrong_relay_address_is_explained_without_status_numbers(
    qtbot: QtBot,
    http: httpx.AsyncClient,
    relay: RunningRelay,
    simulator: RunningSimulator,
    provider: dict[str, Any],
) -> None:
    # Another server (here the M-PESA simulator) and the relay behind a path the owner added.
    other = connect_message(qtbot, http, simulator.base_url, provider["owner_token"])
    assert "not like a Payment Bucket relay" in other and "relay operator" in other
    path = connect_message(qtbot, http, relay.base_url + "/payments", provider["owner_token"])
    assert "No Payment Bucket relay answers" in path and "relay operator" in path
    for text in (other, path):
        assert_owner_words(text)


def test_relay_failures_without_a_relay_sentence_speak_plainly(run: Callable[..., Any]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502 if "me" in request.url.path else 404, text="<html>Bad</html>")

    async def attempt() -> str:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            try:
                await RelayClient(http, "https://relay.example.com", "t").identify()
            except RelayError as error:
                return str(error)
        return ""

    text = run(attempt())
    assert "had a problem on its side" in text and "tell your relay operator" in text
    assert_owner_words(text)


class BrokenKeyring(MemoryKeyring):
    """A password store that refuses every call, as a locked one does."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("locked collection")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("locked collection")


def test_key_vault_and_daraja_messages_speak_plainly(tmp_path: Path) -> None:
    texts = [refusal_reason(fail.Keyring()) or "", refusal_reason(null.Keyring()) or ""]
    store = KeyringStore(BrokenKeyring(), "payment-bucket-words")
    for call in (lambda: store.get("x"), lambda: store.set("x", "y")):
        with pytest.raises(KeystoreError) as refused:
            call()
        texts.append(str(refused.value))
    vault = Vault(tmp_path / "credentials.vault")
    vault.save(new_vault_key(), GOOD)
    for key in (None, new_vault_key(), "not a key"):
        with pytest.raises(VaultLocked) as locked:
            vault.load(key)
        texts.append(str(locked.value))
        assert "Type the credentials again and press Save" in str(locked.value)
    texts += lint_callback_url("http://127.0.0.1:8000/payments/callback/", production=True)
    texts.append(
        str(classify(404, b'{"fault": {"faultstring": "Unable to identify proxy for host"}}'))
    )
    for status, body in ((503, b"<html>503</html>"), (200, b"<html>x</html>"), (502, b"")):
        texts.append(str(classify(status, body)))
    for text in texts:
        assert text
        assert_owner_words(text)
