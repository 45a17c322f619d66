"""Plan presets: defaults, validation with sentences, atomic JSON storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from bucket_desktop.services.plans import (
    PlansError,
    PlanStore,
    default_plans,
    make_plan,
    plans_to_json,
)


def test_a_new_installation_gets_the_default_plans(tmp_path: Path) -> None:
    store = PlanStore(tmp_path)
    plans = store.load()
    assert plans == default_plans()
    assert plans[0].label == "1 hour\nKES 10"
    assert not store.path.exists()


def test_saved_plans_come_back_and_the_file_is_replaced_whole(tmp_path: Path) -> None:
    store = PlanStore(tmp_path)
    mine = (make_plan("2 hours", "KES 15", "WIFI2H", "WiFi 2 hours"), *default_plans()[:1])
    store.save(mine)
    assert PlanStore(tmp_path).load() == mine
    assert [p.name for p in tmp_path.iterdir()] == ["plans.json"]


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (("", 10, "A", "B"), "Every plan needs a name, like 1 hour."),
        (("Day", "ten", "A", "B"), "Plan Day: The amount must be a number of shillings, like 50."),
        (("Day", 10, "WAYTOOLONGREF1", "B"), "Plan Day: The account reference can be at most 12"),
        (
            ("Day", 10, "A", ""),
            "Plan Day: The description is missing: type a few words for the M-PESA statement, e.g. "
            "WiFi 1 day.",
        ),
    ],
)
def test_a_bad_plan_is_refused_with_a_sentence(
    args: tuple[str, object, str, str], sentence: str
) -> None:
    with pytest.raises(PlansError) as caught:
        make_plan(*args)
    assert str(caught.value).startswith(sentence)


def test_a_damaged_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    store = PlanStore(tmp_path)
    store.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(PlansError, match="damaged"):
        store.load()
    assert store.path.read_text(encoding="utf-8") == "{not json"


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    plan = default_plans()[0]
    with pytest.raises(PlansError, match="Two plans are called 1 hour"):
        PlanStore(tmp_path).save((plan, plan))
    text = plans_to_json((plan, plan))
    (tmp_path / "plans.json").write_text(text, encoding="utf-8")
    with pytest.raises(PlansError):
        PlanStore(tmp_path).load()
