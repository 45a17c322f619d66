"""Plans on the relay, desk side: checking a plan, the old file's offer, and saving edits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bucket_desktop.services.plans import Plan, PlansError, PlanStore
from bucket_desktop.services.shared_plans.local_import import LocalPlansImport, duration_in
from bucket_desktop.services.shared_plans.relay_plans import save_plans, shared_plan


class RecordingRelay:
    """Answers every call with success and notes it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    async def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        self.calls.append((method, path, body))
        return {"success": True}


def test_durations_are_read_from_plan_words() -> None:
    assert duration_in("1 hour") == 60
    assert duration_in("WiFi 3 hours") == 180
    assert duration_in("30 min") == 30
    assert duration_in("2 Days") == 2880
    assert duration_in("1 week") == 10080
    assert duration_in("Night") is None


def test_a_shared_plan_needs_whole_minutes_and_the_mpesa_rules() -> None:
    plan = shared_plan("1 hour", "10", "60", "WIFI1H", "WiFi 1 hour", plan_id=4)
    assert (plan.amount, plan.duration_minutes, plan.plan_id) == (10, 60, 4)
    for minutes in ("", "0", "1.5", "an hour", str(400 * 24 * 60)):
        with pytest.raises(PlansError, match="whole number of minutes"):
            shared_plan("1 hour", 10, minutes, "WIFI1H", "WiFi 1 hour")
    with pytest.raises(PlansError, match="Plan 1 hour"):
        shared_plan("1 hour", 10, 60, "WIFI1H", "WiFi for one whole hour")


def test_the_old_file_is_offered_until_marked(tmp_path: Path) -> None:
    local = LocalPlansImport(tmp_path)
    assert local.offer() is None  # no plans file: nothing to offer
    PlanStore(tmp_path).save((Plan("1 hour", 10, "A", "WiFi 1 hour"), Plan("VIP", 99, "B", "VIP")))
    offer = local.offer()
    assert offer is not None
    assert [(p.name, p.duration_minutes) for p in offer.plans] == [("1 hour", 60)]
    assert offer.without_duration == ("VIP",)
    local.mark_offered()
    assert local.offer() is None
    (tmp_path / "plans.json").write_text("{broken", encoding="utf-8")
    (tmp_path / "plans.offered-to-relay").unlink()
    assert local.offer() is None  # a damaged file is not offered


async def test_saving_adds_changes_and_archives_only_what_changed() -> None:
    kept = shared_plan("1 hour", 10, 60, "A", "WiFi 1 hour", plan_id=1)
    changed = shared_plan("1 day", 50, 1440, "B", "WiFi 1 day", plan_id=2)
    removed = shared_plan("1 week", 250, 10080, "C", "WiFi 1 week", plan_id=3)
    new = shared_plan("2 hours", 15, 120, "D", "WiFi 2 hours")
    relay = RecordingRelay()
    raised = shared_plan("1 day", 60, 1440, "B", "WiFi 1 day", plan_id=2)
    extras = {2: {"data_cap_mb": 500, "speed": "2M/5M", "router_profile": None}}
    writes = await save_plans(relay, (kept, changed, removed), (kept, raised, new), extras)
    assert writes == 3
    assert [(method, path) for method, path, _ in relay.calls] == [
        ("PUT", "plans/2/"),
        ("POST", "plans/"),
        ("DELETE", "plans/3/"),
    ]
    assert relay.calls[0][2]["price"] == 60 and relay.calls[1][2]["duration_minutes"] == 120
    # What the desk's editor does not show goes back unchanged.
    assert (relay.calls[0][2]["data_cap_mb"], relay.calls[0][2]["speed"]) == (500, "2M/5M")
