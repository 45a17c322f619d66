"""The Webhooks page against a real relay and a real receiver on loopback: add (secret shown
once), send test, the delivery log, redeliver, edit, disable, rotate, delete; attendants never
see the page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.webhooks.api import WebhookApi
from bucket_desktop.services.webhooks.models import NewSecret, WebhookEndpoint
from bucket_desktop.ui.shell.desktop import WEBHOOKS_PAGE, Desktop
from bucket_desktop.ui.webhooks.dialogs import EndpointForm
from bucket_desktop.ui.webhooks.page import WebhooksPage
from bucket_desktop.ui.webhooks.page_view import COL_EVENTS, COL_STATE
from server_stub.testing import RunningRelay
from tests.server_stub.webhooks.receiver import Receiver, running_receiver
from tests.ui.held_answer import FirstAnswerHeld
from tests.ui.test_settings_page import signed_in

EVENTS = ("payment.confirmed", "payment.failed")


class Answers:
    """Stands in for the endpoint and secret dialogs (they have their own screenshots)."""

    def __init__(self) -> None:
        self.forms: list[EndpointForm] = []
        self.asked: list[tuple[str, WebhookEndpoint | None]] = []
        self.shown: list[NewSecret] = []

    async def ask(self, title: str, current: WebhookEndpoint | None) -> EndpointForm | None:
        self.asked.append((title, current))
        return self.forms.pop(0) if self.forms else None

    async def show(self, made: NewSecret) -> None:
        self.shown.append(made)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback that verifies every delivery."""
    with running_receiver() as running:
        yield running


def _owner_page(
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> tuple[Desktop, WebhooksPage, Answers]:
    desktop = make_desktop(confirm=lambda _title, _question: True)
    answers = Answers()
    page = desktop.webhooks
    page._ask, page._show_secret = answers.ask, answers.show
    signed_in(run, desktop, relay, provider["owner_token"])
    assert desktop.window.show_page(WEBHOOKS_PAGE)
    return desktop, page, answers


def _click(qtbot: QtBot, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_owner_adds_tests_redelivers_edits_disables_rotates_and_deletes(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    receiver: Receiver,
) -> None:
    _, page, answers = _owner_page(run, make_desktop, relay, provider)
    view = page.view
    answers.forms.append(EndpointForm(receiver.url, "Portal", EVENTS))
    _click(qtbot, view.add_button)
    qtbot.waitUntil(lambda: len(answers.shown) == 1 and len(page.endpoints) == 1)
    secret = answers.shown[0].secret
    assert secret.startswith("whsec_") and secret not in repr(answers.shown[0])
    assert view.endpoints.item(0, COL_EVENTS).text() == "confirmed, failed"
    receiver.secrets.append(secret)

    _click(qtbot, view.test_button)
    qtbot.waitUntil(lambda: bool(page.entries) and page.entries[0].state == "delivered")
    assert view.log.item(0, 2).text() == "HTTP 200" and view.log.item(0, 6).text() == "ok"
    assert len(receiver.received) == 1 and receiver.received[0].verified
    view.log.selectRow(0)
    _click(qtbot, view.redeliver_button)
    qtbot.waitUntil(lambda: len(receiver.received) == 2)
    assert receiver.received[1].webhook_id == receiver.received[0].webhook_id
    qtbot.waitUntil(lambda: [e.attempt for e in page.entries] == [2, 1])

    answers.forms.append(EndpointForm(receiver.url, "Billing", ("payment.paid",)))
    _click(qtbot, view.edit_button)
    qtbot.waitUntil(lambda: page.endpoints[0].description == "Billing")
    assert answers.asked[-1][1] is not None and answers.asked[-1][1].description == "Portal"
    assert view.endpoints.item(0, COL_EVENTS).text() == "paid"

    _click(qtbot, view.toggle_button)
    qtbot.waitUntil(lambda: not page.endpoints[0].enabled)
    assert view.endpoints.item(0, COL_STATE).text() == "Off: Disabled by the owner."
    qtbot.waitUntil(lambda: "Disabled" in view.endpoint_state.text())
    assert view.toggle_button.text() == "Enable"
    _click(qtbot, view.test_button)
    qtbot.waitUntil(lambda: "enable it first" in view.status.text())
    _click(qtbot, view.toggle_button)
    qtbot.waitUntil(lambda: page.endpoints[0].enabled)

    _click(qtbot, view.rotate_button)
    qtbot.waitUntil(lambda: len(answers.shown) == 2)
    assert answers.shown[1].secret != secret and answers.shown[1].old_secret_valid_until
    qtbot.waitUntil(lambda: "old secret also signs" in view.endpoint_state.text())

    _click(qtbot, view.delete_button)
    qtbot.waitUntil(lambda: page.endpoints == [])
    assert view.log.rowCount() == 0


def test_a_bad_address_is_refused_with_the_relays_sentence(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    _, page, answers = _owner_page(run, make_desktop, relay, provider)
    answers.forms.append(EndpointForm("ftp://portal.example/hook", "", EVENTS))
    _click(qtbot, page.view.add_button)
    qtbot.waitUntil(lambda: "https://" in page.view.status.text())
    answers.forms.append(EndpointForm("https://10.0.0.5/hook", "", EVENTS))
    _click(qtbot, page.view.add_button)
    qtbot.waitUntil(lambda: "private network" in page.view.status.text())
    assert page.endpoints == [] and answers.shown == []


def test_attendants_never_see_the_webhooks_page(
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = make_desktop()
    signed_in(run, desktop, relay, provider["attendant_token"])
    assert WEBHOOKS_PAGE not in desktop.window.visible_keys()
    assert not desktop.window.show_page(WEBHOOKS_PAGE)


def test_endpoints_asked_before_sign_out_are_not_shown_after_it(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: Any,
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = WebhookApi(RelayClient(http, relay.base_url, provider["owner_token"]))
    run(owner.add(receiver.url, EVENTS, "Portal"))
    held = FirstAnswerHeld(monkeypatch, WebhookApi, "endpoints")
    try:
        desktop, page, _answers = _owner_page(run, make_desktop, relay, provider)
        qtbot.waitUntil(lambda: held.asked == 1, timeout=30_000)
        desktop.window.set_session(None)  # signed out while the sign-in's list is out
    finally:
        held.release.set()
    qtbot.waitUntil(lambda: held.answered, timeout=30_000)
    assert page.endpoints == []
    assert page.view.endpoints.rowCount() == 0
