"""The demo's help: which simulator phone numbers do what."""

from __future__ import annotations

from bucket_desktop.demo import demo_phone_help
from bucket_desktop.i18n import N_
from bucket_desktop.services.payment_rows import format_phone

DEMO_INTRO = N_(
    "Demo mode: nothing here touches real money. The relay and a pretend M-PESA run on this PC "
    "and stop when the window closes. Charge these numbers to see each outcome; any other pays."
)


def demo_phones() -> list[tuple[str, str]]:
    """(phone as a person types it, what happens in short), for the demo card."""
    # Written as on the Charge customer page: 0708 374 149.
    return [(format_phone(phone), _short(outcome)) for phone, outcome in demo_phone_help()]


def _short(outcome: str) -> str:
    # The simulator's summaries carry codes and timing details the card has no room for.
    for mark in (" (", ";", ":", " with "):
        outcome = outcome.split(mark, 1)[0]
    return outcome
