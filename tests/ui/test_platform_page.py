"""The Platform page against a real relay: an administrator sees only it, every provider's
health (search, "needs attention", sorting), a provider's tokens and recent changes, and
creates, disables and enables providers and issues and revokes tokens, each confirmed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bucket_desktop.demo import demo_credentials
from bucket_desktop.demo_platform import seed_demo_providers
from bucket_desktop.services.plans import default_plans
from bucket_desktop.services.platform.admin_client import PlatformClient
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.ui.platform.dialogs import TokenRequest
from bucket_desktop.ui.platform.providers_model import COL_MONTH, COL_NAME
from bucket_desktop.ui.shell.desktop import DESKS_PAGE, PLATFORM_PAGE, Desktop
from bucket_desktop.ui.shell.main_window_view import MainWindowView
from bucket_desktop.ui.shell.session import DesktopSession, demo_paths
from server_stub.testing import RunningRelay
from tests.ui.counter_support import counter_pages, new_provider
from tests.ui.held_answer import FirstAnswerHeld


class Answers:
    """Stands in for the dialogs (they have their own screenshots)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.tokens: list[TokenRequest] = []
        self.shown: list[tuple[str, str]] = []
        self.questions: list[str] = []

    async def ask_name(self) -> str | None:
        return self.names.pop(0) if self.names else None

    async def ask_token(self, _provider: str) -> TokenRequest | None:
        return self.tokens.pop(0) if self.tokens else None

    async def show(self, title: str, text: str) -> None:
        self.shown.append((title, text))

    def confirm(self, _title: str, question: str) -> bool:
        self.questions.append(question)
        return True


def test_admin_sees_and_manages_every_provider(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    http: httpx.AsyncClient,
) -> None:
    boss = relay.cli("create-admin", "--name", "Platform team")
    ids = run(
        seed_demo_providers(http, relay.base_url, boss["token"], demo_credentials(), 12),
        timeout_ms=120_000,
    )
    answers = Answers()
    desktop = make_desktop(confirm=answers.confirm)
    page = desktop.platform
    page._ask_name, page._ask_token = answers.ask_name, answers.ask_token
    page._show_tokens = answers.show
    run(desktop.sign_in(relay.base_url, boss["token"]))
    assert desktop.window.visible_keys() == [PLATFORM_PAGE]
    assert not desktop.window.show_page(DESKS_PAGE)
    assert "Platform administrator" in desktop.window.view.identity_label.text()
    qtbot.waitUntil(lambda: len(page.model.rows) >= 12)
    names = {row.name for row in page.model.rows if row.id in ids}
    assert "Kahawa Net" in names

    page.view.search.setText("kahawa")
    assert [row.name for row in page.visible()] == ["Kahawa Net"]
    page.view.search.clear()
    page.view.attention_only.setChecked(True)
    shown = page.visible()
    assert shown and all(row.needs_attention for row in shown)
    assert "shown of" in page.view.summary.text()
    page.view.attention_only.setChecked(False)
    page.view.table.sortByColumn(COL_MONTH, Qt.SortOrder.DescendingOrder)
    totals = [row.paid_30d for row in page.visible()]
    assert totals == sorted(totals, reverse=True)
    page.view.table.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)

    kahawa = next(row for row in page.model.rows if row.name == "Kahawa Net")
    page.choose(kahawa.id)
    qtbot.waitUntil(lambda: page.view.audit.rowCount() >= 3 and page.view.tokens.rowCount() == 2)
    changes = {page.view.audit.item(row, 3).text() for row in range(page.view.audit.rowCount())}
    assert {"provider.created", "credentials.saved", "credentials.tested"} <= changes

    qtbot.mouseClick(page.view.disable_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "is disabled" in page.view.status.text())
    assert "Switch off “Kahawa Net”" in answers.questions[-1]
    assert page.chosen is not None and page.chosen.disabled
    assert page.view.disable_button.text() == "Enable…"
    qtbot.mouseClick(page.view.disable_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "is enabled" in page.view.status.text())

    answers.tokens.append(TokenRequest("attendant", "Till 2"))
    qtbot.mouseClick(page.view.issue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(answers.shown) == 1)
    title, text = answers.shown[0]
    token = text.rsplit("Token: ", 1)[1]
    relay.secrets.add(token)
    assert title == "Kahawa Net: new attendant token" and relay.base_url in text
    qtbot.waitUntil(lambda: page.view.tokens.rowCount() == 3)
    with httpx.Client(base_url=relay.base_url, headers={"Authorization": f"Token {token}"}) as till:
        assert till.get("/payments/bucket/me/").json()["name"] == "Till 2"
        page.view.tokens.selectRow(2)
        qtbot.mouseClick(page.view.revoke_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "was revoked" in page.view.status.text())
        assert till.get("/payments/bucket/me/").status_code == 401

    answers.names.append("Brand New Net")
    qtbot.mouseClick(page.view.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(answers.shown) == 2)
    assert "Owner token: " in answers.shown[1][1] and "Attendant token: " in answers.shown[1][1]
    for line in answers.shown[1][1].splitlines()[1:]:
        relay.secrets.add(line.split(": ", 1)[1])
    qtbot.waitUntil(lambda: page.chosen is not None and page.chosen.name == "Brand New Net")
    assert "credentials_not_verified" in page.chosen.attention


def test_an_owner_never_sees_the_platform_page(
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    desktop = make_desktop()
    run(desktop.sign_in(relay.base_url, provider["owner_token"]))
    assert PLATFORM_PAGE not in desktop.window.visible_keys()
    assert DESKS_PAGE in desktop.window.visible_keys()


def test_the_demo_with_providers_switches_to_the_platform_view(
    qtbot: QtBot, run: Callable[..., Any], http: httpx.AsyncClient, tmp_path: Path
) -> None:
    session = DesktopSession(True, demo_paths(tmp_path / "demos"), http, None, demo_providers=4)
    shown: list[MainWindowView] = []
    session._on_shown = shown.append
    running = asyncio.ensure_future(session.run())
    qtbot.waitUntil(lambda: bool(shown))
    view = shown[0]
    # The demo's providers are added before the start is over (the busy bar goes).
    qtbot.waitUntil(lambda: view.connection_button.isVisible(), timeout=90_000)
    assert view.identity_label.text() == "Owner · Demo"
    for expected in ("Attendant", "Platform administrator"):
        qtbot.mouseClick(view.connection_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda expected=expected: view.identity_label.text().startswith(expected))
    assert view.connection_button.text() == "View as owner"
    assert session.desktop is not None
    assert session.desktop.window.visible_keys() == [PLATFORM_PAGE]
    qtbot.waitUntil(lambda: len(session.desktop.platform.model.rows) == 5)  # with "Demo"
    qtbot.mouseClick(view.connection_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.identity_label.text() == "Owner · Demo")
    assert PLATFORM_PAGE not in session.desktop.window.visible_keys()
    view.close()
    assert run(running) == 0
    run(session.shutdown())


def test_the_attendant_of_a_disabled_provider_reads_why_nothing_was_sent(
    qtbot: QtBot, run: Callable[..., Any], http: httpx.AsyncClient, relay: RunningRelay
) -> None:
    shop = new_provider(relay)
    boss = relay.cli("create-admin", "--name", "Platform team")
    with counter_pages(qtbot, run, http, relay, shop["attendant_token"]) as pages:
        platform = PlatformClient(RelayClient(http, relay.base_url, boss["token"]))
        run(platform.set_disabled(shop["provider_id"], True))
        view = pages.charge_view
        pages.charge.use_plan(default_plans()[0])
        view.phone_edit.setText("0712 345 678")
        view.send_button.click()
        qtbot.waitUntil(lambda: view.status.text().startswith("The prompt was not sent"))
        assert view.status.text() == (
            "The prompt was not sent. M-PESA payments for this hotspot are switched off by the "
            "platform administrator: ask the owner to contact them."
        )


def test_providers_asked_before_sign_out_are_not_shown_after_it(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    boss = relay.cli("create-admin", "--name", "Platform team")
    held = FirstAnswerHeld(monkeypatch, PlatformClient, "providers")
    desktop = make_desktop()
    try:
        run(desktop.sign_in(relay.base_url, boss["token"]))
        qtbot.waitUntil(lambda: held.asked == 1, timeout=30_000)
        desktop.window.set_session(None)  # signed out while the sign-in's list is out
    finally:
        held.release.set()
    qtbot.waitUntil(lambda: held.answered, timeout=30_000)
    assert desktop.platform.model.rowCount() == 0
