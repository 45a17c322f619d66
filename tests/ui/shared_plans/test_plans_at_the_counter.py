"""Plans on the relay at the counter: the old file offered once, the owner's editor, every desk
in step through `plans_version`, and a push on a plan getting the plan's expiry.

A real relay process and the simulator; two desks (owner and attendant) side by side.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from bucket_desktop.services.plans import Plan, PlanStore
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.shared_plans.local_import import LocalPlansImport
from bucket_desktop.services.shared_plans.relay_plans import fetch_plans, save_plans
from bucket_desktop.ui.shared_plans import plans_sync
from bucket_desktop.ui.shell.counter_pages import CounterPages
from server_stub.testing import RunningRelay
from tests.ui.counter_support import (
    Answers,
    counter_pages,
    fast_relay,  # noqa: F401 (the relay fixture)
    new_provider,
)
from tests.ui.held_answer import FirstAnswerHeld

SETTLE_MS = 30_000
OLD_PLANS = (
    Plan("2 hours", 15, "WIFI2H", "WiFi 2 hours"),
    Plan("1 day", 50, "WIFI1D", "WiFi 1 day"),
    Plan("Night", 30, "NIGHT", "WiFi night"),  # no duration in its words: left out
)


def tiles(pages: CounterPages) -> list[str]:
    layout = pages.charge_view.plans_layout
    return [layout.itemAt(i).widget().text() for i in range(layout.count())]


def test_the_old_plans_file_is_offered_once_and_every_desk_follows_the_owners_edits(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: httpx.AsyncClient,
    relay: RunningRelay,
    tmp_path: Path,
) -> None:
    provider = new_provider(relay)
    PlanStore(tmp_path).save(OLD_PLANS)
    local = LocalPlansImport(tmp_path)
    answers = Answers(True)
    owner_token, attendant_token = provider["owner_token"], provider["attendant_token"]
    with (
        counter_pages(
            qtbot, run, http, relay, owner_token, role="owner", answers=answers,
            local_import=local,
        ) as owner,
        counter_pages(qtbot, run, http, relay, attendant_token, role="attendant") as attendant,
    ):  # fmt: skip
        qtbot.waitUntil(lambda: len(answers.asked) == 1, timeout=SETTLE_MS)
        assert "2 hours, 1 day" in answers.asked[0] and "Left out" in answers.asked[0]
        assert "Night" in answers.asked[0]
        assert local.marker.exists() and local.offer() is None
        expected = ["2 hours\nKES 15", "1 day\nKES 50"]
        qtbot.waitUntil(lambda: tiles(owner) == expected, timeout=SETTLE_MS)
        # The attendant's desk follows through the feed's plans_version, with no sign-in.
        qtbot.waitUntil(lambda: tiles(attendant) == expected, timeout=SETTLE_MS)
        shared = run(fetch_plans(RelayClient(http, relay.base_url, attendant_token)))
        assert [(p.name, p.duration_minutes) for p in shared.plans] == [
            ("2 hours", 120),
            ("1 day", 1440),
        ]
        assert not attendant.charge_view.edit_plans_button.isVisible()
        assert owner.charge_view.edit_plans_button.isVisible()

        # The owner raises a price in the editor; both desks show it at once.
        editor = owner.charge.edit_plans()
        assert editor is not None
        table = editor.view.table  # type: ignore[attr-defined]
        assert table.item(0, 2).text() == "120"
        table.item(0, 1).setText("20")
        table.item(1, 2).setText("a day")
        save = editor.view.buttons.button(QDialogButtonBox.StandardButton.Save)  # type: ignore[attr-defined]
        save.click()
        status = editor.view.status  # type: ignore[attr-defined]
        assert "duration is a whole number of minutes" in status.text()
        table.item(1, 2).setText("1440")
        save.click()
        qtbot.waitUntil(
            lambda: owner.charge_view.status.text() == "The plans were saved on the relay.",
            timeout=SETTLE_MS,
        )
        raised = ["2 hours\nKES 20", "1 day\nKES 50"]
        qtbot.waitUntil(lambda: tiles(attendant) == raised, timeout=SETTLE_MS)
        qtbot.waitUntil(lambda: tiles(owner) == raised, timeout=SETTLE_MS)

        # A push on a relay plan carries its terms: the code shows the plan and its expiry.
        attendant.charge.use_plan(attendant.plans.shared[0])
        attendant.charge_view.phone_edit.setText("0708 374 149")
        attendant.charge_view.send_button.click()
        card = attendant.stk_status_view.access_card
        qtbot.waitUntil(lambda: card.isVisible(), timeout=SETTLE_MS)
        assert card.terms.text().startswith("2 hours · until ")
        row = attendant.stk_status.selected
        assert row is not None and row.plan_name == "2 hours" and row.amount == 20

    # Signing in again never asks a second time.
    again = Answers(True)
    with counter_pages(
        qtbot, run, http, relay, owner_token, role="owner", answers=again, local_import=local
    ) as owner:
        qtbot.waitUntil(lambda: tiles(owner) == raised, timeout=SETTLE_MS)
        assert again.asked == []
    assert json.loads((tmp_path / "plans.json").read_text())["plans"][0]["name"] == "2 hours"


def with_a_plan(
    run: Callable[..., Any], http: httpx.AsyncClient, relay: RunningRelay
) -> tuple[dict[str, Any], RelayClient]:
    """A new provider with one plan on the relay (2 hours, KES 15), and its owner's client."""
    provider = new_provider(relay)
    owner = RelayClient(http, relay.base_url, provider["owner_token"])
    plan = Plan("2 hours", 15, "WIFI2H", "WiFi 2 hours", duration_minutes=120)
    run(save_plans(owner, (), (plan,)))
    return provider, owner


def test_a_plans_answer_arriving_late_does_not_bring_back_old_prices(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: httpx.AsyncClient,
    relay: RunningRelay,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider, owner = with_a_plan(run, http, relay)
    held = FirstAnswerHeld(monkeypatch, plans_sync, "fetch_plans")  # the sign-in's answer
    with counter_pages(
        qtbot, run, http, relay, provider["attendant_token"], role="attendant"
    ) as attendant:
        try:
            qtbot.waitUntil(lambda: held.asked >= 1)
            shared = run(fetch_plans(owner))
            raised = (dataclasses.replace(shared.plans[0], amount=20),)
            run(save_plans(owner, shared.plans, raised, shared.kept))
            # The feed's plans_version brings the new price while the first answer is out.
            qtbot.waitUntil(lambda: tiles(attendant) == ["2 hours\nKES 20"])
        finally:
            held.release.set()
        qtbot.waitUntil(lambda: held.answered)
        assert tiles(attendant) == ["2 hours\nKES 20"]
        assert [plan.amount for plan in attendant.plans.shared] == [20]


def test_plans_asked_before_sign_out_do_not_come_back_after_it(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: httpx.AsyncClient,
    relay: RunningRelay,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider, _owner = with_a_plan(run, http, relay)
    with counter_pages(
        qtbot, run, http, relay, provider["attendant_token"], role="attendant"
    ) as attendant:
        qtbot.waitUntil(lambda: tiles(attendant) == ["2 hours\nKES 15"], timeout=SETTLE_MS)
        held = FirstAnswerHeld(monkeypatch, plans_sync, "fetch_plans")
        attendant.plans.refresh()  # as a plans change in the feed asks
        try:
            qtbot.waitUntil(lambda: held.asked == 1, timeout=SETTLE_MS)
            attendant.on_session(None)  # signed out while that fetch is out
            signed_out = tiles(attendant)
        finally:
            held.release.set()
        qtbot.waitUntil(lambda: held.answered, timeout=SETTLE_MS)
        assert "2 hours\nKES 15" not in signed_out
        assert tiles(attendant) == signed_out
        assert attendant.plans.shared == ()
