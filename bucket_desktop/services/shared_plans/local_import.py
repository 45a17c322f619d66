"""The desk's old plans file, offered to the owner for import to the relay once.

Before plans lived on the relay each desk kept its own presets in `plans.json`. The owner is
asked once whether to copy them to the relay; yes or no, a marker file records that the offer
was made, so it never comes back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bucket_desktop.services.atomic_file import write_atomic
from bucket_desktop.services.plans import PLANS_FILE_NAME, Plan, PlansError, plans_from_json
from bucket_desktop.services.shared_plans.relay_plans import shared_plan

MARKER_NAME = "plans.offered-to-relay"
_UNITS = {"minute": 1, "min": 1, "hour": 60, "hr": 60, "day": 1440, "week": 10080, "month": 43200}
_DURATION = re.compile(r"(\d+)\s*(minute|min|hour|hr|day|week|month)s?\b", re.IGNORECASE)
# Kiswahili names the unit first ("Saa 1", "WiFi siku 3"): the default plans in Kiswahili and
# the names owners give in it.
_SWAHILI_UNITS = {
    "dakika": 1,
    "saa": 60,
    "siku": 1440,
    "wiki": 10080,
    "mwezi": 43200,
    "miezi": 43200,
}
_SWAHILI_DURATION = re.compile(r"\b(dakika|saa|siku|wiki|mwezi|miezi)\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ImportOffer:
    """The local plans that can go to the relay, and those whose duration is unknown."""

    plans: tuple[Plan, ...]
    without_duration: tuple[str, ...]


def duration_in(text: str) -> int | None:
    """Minutes named in a plan's name or description ("1 hour", "3 hours", "Saa 1"), if any."""
    found = _DURATION.search(text)
    if found is not None:
        return int(found.group(1)) * _UNITS[found.group(2).lower()]
    swahili = _SWAHILI_DURATION.search(text)
    if swahili is not None:
        return int(swahili.group(2)) * _SWAHILI_UNITS[swahili.group(1).lower()]
    return None


class LocalPlansImport:
    """The offer, kept in the app's data folder beside the plans file."""

    def __init__(self, data_dir: Path) -> None:
        self.plans_file = data_dir / PLANS_FILE_NAME
        self.marker = data_dir / MARKER_NAME

    def offer(self) -> ImportOffer | None:
        """What to offer, or None: no plans file, already offered, or nothing readable in it."""
        if self.marker.exists() or not self.plans_file.exists():
            return None
        try:
            local = plans_from_json(self.plans_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, PlansError):
            return None
        ready, unknown = [], []
        for plan in local:
            minutes = duration_in(plan.name) or duration_in(plan.transaction_desc)
            if minutes is None:
                unknown.append(plan.name)
                continue
            ready.append(
                shared_plan(
                    plan.name, plan.amount, minutes, plan.account_reference, plan.transaction_desc
                )
            )
        if not ready and not unknown:
            return None
        return ImportOffer(tuple(ready), tuple(unknown))

    def mark_offered(self) -> None:
        """Never offer again (the owner answered)."""
        write_atomic(self.marker, b"The plans file was offered for import to the relay.\n")
