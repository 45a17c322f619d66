"""The Desks page against a real relay: list, add (token shown once), rename, revoke, and the
revoked desk signed out at once with its local payments hidden."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bucket_desktop.services.app_settings import AppPaths
from bucket_desktop.services.keystore import MemoryStore
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_models import NewDesk
from bucket_desktop.ui.payments.payments_model import COL_DESK
from bucket_desktop.ui.shell.desktop import DESKS_PAGE, PAYMENTS_PAGE, Desktop, build_desktop
from server_stub.testing import RunningRelay
from tests.ui.held_answer import FirstAnswerHeld
from tests.ui.test_settings_page import GOOD, signed_in


@pytest.fixture
def other_pc(
    run: Callable[..., Any], http: httpx.AsyncClient, tmp_path: Path
) -> Iterator[Callable[[], Desktop]]:
    """A second PC (its own data folder) for the attendant's desk."""
    made: list[Desktop] = []

    def factory() -> Desktop:
        paths = AppPaths.portable(tmp_path / "attendant-pc")
        desktop = build_desktop(paths, http, MemoryStore(), environ={}, with_tray=False)
        desktop.window.view.show()
        made.append(desktop)
        return desktop

    yield factory
    for desktop in made:
        run(desktop.close())
        desktop.window.view.close()
        desktop.window.view.deleteLater()


class Answers:
    """Stands in for the name and token dialogs (the dialogs have their own screenshots)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.shown: list[tuple[NewDesk, str]] = []

    async def ask_name(self, _title: str, _current: str) -> str | None:
        return self.names.pop(0) if self.names else None

    async def show_token(self, created: NewDesk, relay_url: str) -> None:
        self.shown.append((created, relay_url))


def test_owner_adds_renames_and_revokes_a_desk_that_is_signed_out_at_once(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    other_pc: Callable[[], Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    relay.cli("set-credentials", "--provider", str(provider["provider_id"]), input=GOOD.to_json())
    owner = make_desktop(confirm=lambda _title, _question: True)
    answers = Answers()
    desks = owner.desks
    desks._ask_name, desks._show_token = answers.ask_name, answers.show_token
    signed_in(run, owner, relay, provider["owner_token"])
    assert owner.window.show_page(DESKS_PAGE)
    qtbot.waitUntil(lambda: len(desks.desks) == 2)
    assert desks.view.table.item(0, 0).text() == "Owner (this PC)"
    desks.select("Owner")
    qtbot.mouseClick(desks.view.revoke_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "cannot revoke it" in desks.view.status.text())  # the desk in use

    answers.names.append("Counter 2")
    qtbot.mouseClick(desks.view.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(answers.shown))
    created, url = answers.shown[0]
    relay.secrets.add(created.token)
    assert url == relay.base_url and [d.name for d in desks.desks][-1] == "Counter 2"

    attendant = other_pc()
    signed_in(run, attendant, relay, created.token)
    assert attendant.window.session is not None
    assert attendant.window.session.identity.name == "Counter 2"
    assert not attendant.window.show_page(DESKS_PAGE)  # owners only

    answers.names.append("Gate")
    desks.select("Counter 2")
    qtbot.mouseClick(desks.view.rename_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Gate" in [d.name for d in desks.desks])

    client = RelayClient(attendant.http, relay.base_url, created.token)
    push = run(
        client.initiate(
            phone_number="254708374149", amount=10, account_reference="HOUR", transaction_desc="W"
        )
    )
    live = attendant.counter.live
    qtbot.waitUntil(lambda: live.book.get(push.checkout_request_id) is not None)
    owner_book = owner.counter.live.book
    qtbot.waitUntil(lambda: owner_book.get(push.checkout_request_id) is not None)
    assert owner.window.show_page(PAYMENTS_PAGE)
    model = owner.counter.payments.model
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    assert model.index(0, COL_DESK).data() == "Gate"

    assert owner.window.show_page(DESKS_PAGE)
    desks.select("Gate")
    qtbot.mouseClick(desks.view.revoke_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Gate" not in [d.name for d in desks.desks])
    # The attendant's long poll hears it at once: signed out, payments hidden.
    qtbot.waitUntil(lambda: attendant.window.session is None)
    assert "signed out" in attendant.window.view.banner.text()
    qtbot.waitUntil(lambda: len(attendant.counter.live.book) == 0)


def test_desks_asked_before_sign_out_are_not_shown_after_it(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = FirstAnswerHeld(monkeypatch, RelayClient, "desks")
    desktop = make_desktop()
    try:
        signed_in(run, desktop, relay, provider["owner_token"])
        qtbot.waitUntil(lambda: held.asked == 1, timeout=30_000)
        desktop.window.set_session(None)  # signed out while the sign-in's list is out
    finally:
        held.release.set()
    qtbot.waitUntil(lambda: held.answered, timeout=30_000)
    assert desktop.desks.desks == []
    assert desktop.desks.view.table.rowCount() == 0
