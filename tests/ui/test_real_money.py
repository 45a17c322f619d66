"""Production means real money: the switch is confirmed, sandbox values there are warned about
before Save and Push (issue 13, item 5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytestqt.qtbot import QtBot

from bucket_desktop.services.credentials import Environment
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.setup_guards.real_money import SANDBOX_TITLE, SWITCH_TITLE
from bucket_desktop.ui.shell.desktop import Desktop
from server_stub.testing import RunningRelay
from tests.ui.test_settings_page import GOOD, click, fill, signed_in

Questions = list[tuple[str, str]]


def answering(answers: list[bool], asked: Questions) -> Callable[[str, str], bool]:
    def confirm(title: str, question: str) -> bool:
        asked.append((title, question))
        return answers.pop(0)

    return confirm


def pick(desktop: Desktop, environment: Environment) -> None:
    """Choose an environment the way a person does (the combo box's `activated`)."""
    combo = desktop.settings_page.view.environment
    index = combo.findData(environment.value)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def test_switching_to_production_asks_in_plain_words(
    qtbot: QtBot, make_desktop: Callable[..., Desktop]
) -> None:
    asked: Questions = []
    answers = [False, True]
    desktop = make_desktop(confirm=answering(answers, asked))
    view = desktop.settings_page.view
    fill(qtbot, view, GOOD)  # the simulator's values are Safaricom's public sandbox ones

    pick(desktop, Environment.PRODUCTION)
    assert asked[-1][0] == SWITCH_TITLE and "real M-PESA money" in asked[-1][1]
    assert view.environment.currentData() == Environment.SANDBOX.value  # No keeps Sandbox
    assert "Still Sandbox" in view.local_status.text()

    pick(desktop, Environment.PRODUCTION)
    assert view.environment.currentData() == Environment.PRODUCTION.value
    assert view.local_status.kind is StatusKind.WARNING
    assert "shortcode 174379 and the passkey are Safaricom's public sandbox" in (
        view.local_status.text()
    )
    qtbot.waitUntil(lambda: not answers)
    pick(desktop, Environment.PRODUCTION)  # picking it again asks nothing more
    assert len(asked) == 2
    # Filling saved production credentials is no switch: nothing is asked.
    desktop.settings_page.form.fill(GOOD)
    desktop.settings_page.form.fill(
        GOOD.__class__(**{**_fields(GOOD), "environment": Environment.PRODUCTION})
    )
    qtbot.wait(50)  # let the combo box's change settle, then pick the same entry again
    pick(desktop, Environment.PRODUCTION)
    assert len(asked) == 2


def _fields(credentials: Any) -> dict[str, Any]:
    return {name: getattr(credentials, name) for name in credentials.__slots__}


def test_sandbox_values_in_production_warn_before_save_and_push(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    data_dir: Any,
) -> None:
    asked: Questions = []
    answers: list[bool] = [True, False, False]
    desktop = make_desktop(confirm=answering(answers, asked))
    signed_in(run, desktop, relay, provider["owner_token"])
    view = desktop.settings_page.view
    fill(qtbot, view, GOOD)
    pick(desktop, Environment.PRODUCTION)  # Yes to real money

    assert view.local_status.kind is StatusKind.WARNING  # said at the switch already
    view.local_status.show_status("")
    view.save_button.click()
    qtbot.waitUntil(lambda: view.local_status.kind is StatusKind.WARNING)
    assert asked[-1][0] == SANDBOX_TITLE and asked[-1][1].endswith("Save anyway?")
    assert "Nothing was changed" in view.local_status.text()
    assert not (data_dir / "credentials.vault").exists()

    view.relay_status.show_status("")
    view.push_button.click()
    qtbot.waitUntil(lambda: view.relay_status.kind is StatusKind.WARNING)
    assert asked[-1][0] == SANDBOX_TITLE and asked[-1][1].endswith("Push anyway?")
    assert "Nothing was changed" in view.relay_status.text()
    summary = run(desktop.window.session.client.credentials())
    assert not summary.configured  # nothing reached the relay

    # Back in Sandbox the same values are the right ones: no warning at all.
    pick(desktop, Environment.SANDBOX)
    assert click(qtbot, view.local_status, view.save_button) is StatusKind.OK
    assert len(asked) == 3
