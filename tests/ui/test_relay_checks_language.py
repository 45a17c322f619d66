"""Verify's checks on the relay panel in the desk's language.

The relay answers in English; a desk in Kiswahili says each check by its name and outcome, and
keeps the relay's own sentence only for what it cannot recognise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bucket_desktop.i18n import ENGLISH, SWAHILI, _
from bucket_desktop.i18n.qt.live import apply_language
from bucket_desktop.services.relay_models import VerificationCheck, VerificationResult
from bucket_desktop.ui.settings.relay_texts import CHECK_TEXTS
from bucket_desktop.ui.shell.desktop import Desktop
from server_stub.payments import setup_checks

ADDRESS = "https://relay.example.co.ke"
CREDENTIALS_OK = "Daraja accepted the consumer key and secret."
NOT_REACHED = (
    f"Payment results sent to the relay's public address {ADDRESS} would not reach it. "
    + setup_checks.ASK_FOR_PUBLIC_ADDRESS
)
WARNING = (
    "The consumer key and secret work, but Safaricom cannot send payment results back to this "
    "relay yet (see the checks). " + setup_checks.NOT_CHECKED_HERE
)


@pytest.fixture
def back_to_english() -> Iterator[None]:
    yield
    apply_language(ENGLISH)


def a_warning() -> VerificationResult:
    """Credentials accepted, the callback address fine, the public address not reached."""
    return VerificationResult(
        success=True,
        message=WARNING,
        status="warning",
        tested_at=None,
        checks=(
            VerificationCheck(setup_checks.CREDENTIALS, True, CREDENTIALS_OK),
            VerificationCheck(
                setup_checks.CALLBACK_URL, True, f"The callback address {ADDRESS}/x suits Daraja."
            ),
            VerificationCheck(setup_checks.BASE_URL, False, NOT_REACHED),
        ),
    )


def shown(desktop: Desktop) -> tuple[str, str]:
    """(overall sentence, the checks) after Verify answered with a warning."""
    panel = desktop.settings_page.relay_panel
    panel._show_verification(a_warning(), proven=False)
    return panel.view.relay_status.text(), panel.view.checks.text()


def test_the_desk_knows_every_check_the_relay_makes() -> None:
    assert {name for name, _ok in CHECK_TEXTS} == set(setup_checks.CHECK_NAMES)
    assert {ok for _name, ok in CHECK_TEXTS if _name == setup_checks.BASE_URL} == {True, False}


def test_in_english_the_relays_own_sentences_show(make_desktop: Callable[..., Desktop]) -> None:
    message, checks = shown(make_desktop())
    assert message == WARNING
    assert CREDENTIALS_OK in checks and NOT_REACHED in checks


def test_in_kiswahili_no_relay_sentence_is_left_in_english(
    make_desktop: Callable[..., Desktop], back_to_english: None
) -> None:
    desktop = make_desktop()
    apply_language(SWAHILI)
    message, checks = shown(desktop)
    for english in (CREDENTIALS_OK, "would not reach it", "suits", "Safaricom cannot send"):
        assert english not in checks and english not in message
    assert "Daraja imekubali" in checks
    assert checks.count("✘") == 1 and checks.count("✔") == 2


def test_a_live_switch_says_the_last_answer_again(
    make_desktop: Callable[..., Desktop], back_to_english: None
) -> None:
    desktop = make_desktop()
    _("{first} and {second}")  # a message the live switch knows, as after the owner's checks
    shown(desktop)
    desktop.settings_page.choose_language(SWAHILI)
    view = desktop.settings_page.relay_panel.view
    assert "Daraja imekubali" in view.checks.text()
    assert CREDENTIALS_OK not in view.checks.text()
    assert "Safaricom cannot send" not in view.relay_status.text()
    desktop.settings_page.choose_language(ENGLISH)
    assert CREDENTIALS_OK in view.checks.text() and view.relay_status.text() == WARNING
