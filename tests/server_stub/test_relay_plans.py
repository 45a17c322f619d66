"""Plans on the relay: owners write, every desk reads, initiate sells them (relay + simulator)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server_stub.testing import RunningRelay
from tests.server_stub.helpers import Provider, new_provider, unique_phone, wait_for_payment

# On each database the relay supports.

HOUR = {
    "name": "1 hour",
    "price": 20,
    "duration_minutes": 60,
    "speed": "2M/5M",
    "router_profile": "1h",
    "account_reference": "HOTSPOT",
    "transaction_desc": "WiFi 1 hour",
}


@pytest.fixture(scope="module")
def provider(relay: RunningRelay) -> Iterator[Provider]:
    """One provider for this module."""
    created = new_provider(relay, "Plans Net")
    yield created
    created.close()


def _create(provider: Provider, **changes: Any) -> dict[str, Any]:
    answer = provider.owner.post("/payments/bucket/plans/", json={**HOUR, **changes})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _sell(provider: Provider, **body: Any) -> httpx.Response:
    return provider.attendant.post(
        "/payments/bucket/initiate/", json={"phone_number": unique_phone(), **body}
    )


def test_owner_writes_and_every_desk_reads_the_same_plans(provider: Provider) -> None:
    plan = _create(provider, name="Day pass", price=50, duration_minutes=1440, data_cap_mb=2048)
    assert (plan["price"], plan["data_cap_mb"], plan["archived"]) == (50, 2048, False)
    listed = provider.attendant.get("/payments/bucket/plans/").json()
    assert plan["id"] in [item["id"] for item in listed["items"]]
    refused = provider.attendant.post("/payments/bucket/plans/", json=HOUR)
    assert refused.status_code == 403
    changed = provider.owner.put(
        f"/payments/bucket/plans/{plan['id']}/", json={**HOUR, "price": 55}
    )
    assert changed.json()["price"] == 55
    after = provider.attendant.get("/payments/bucket/plans/").json()
    assert after["plans_version"] > listed["plans_version"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"account_reference": "THIRTEEN-CHAR"}, "account_reference"),
        ({"transaction_desc": "fourteen chars"}, "transaction_desc"),
        ({"price": 10.5}, "price"),
        ({"price": 0}, "price"),
        ({"price": 250_001}, "price"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"speed": "fast"}, "speed"),
        ({"speed": "2M"}, "speed"),
        ({"name": "  "}, "name"),
        ({"data_cap_mb": -1}, "data_cap_mb"),
    ],
)
def test_plan_fields_outside_the_limits_are_refused(
    provider: Provider, changes: dict[str, Any], field: str
) -> None:
    before = provider.owner.get("/payments/bucket/plans/").json()
    answer = provider.owner.post("/payments/bucket/plans/", json={**HOUR, **changes})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field
    assert answer.json()["error"]["message"]
    assert provider.owner.get("/payments/bucket/plans/").json() == before


def test_a_sale_on_a_plan_keeps_its_terms_and_the_plan_is_archived_not_lost(
    provider: Provider,
) -> None:
    plan = _create(provider, name="Sold hour")
    sold = _sell(provider, plan_id=plan["id"])
    assert sold.status_code == 200, sold.text
    checkout = sold.json()["checkout_request_id"]
    provider.owner.put(f"/payments/bucket/plans/{plan['id']}/", json={**HOUR, "price": 30})
    removed = provider.owner.delete(f"/payments/bucket/plans/{plan['id']}/")
    assert removed.json() == {"success": True, "id": plan["id"], "outcome": "archived"}
    item = wait_for_payment(
        provider.attendant, checkout, lambda item: item["confirmation"] == "confirmed"
    )
    assert (item["amount"], item["plan_id"], item["plan"]["price"]) == (20, plan["id"], 20)
    assert item["plan"]["name"] == "Sold hour"
    assert item["access"]["plan_id"] == plan["id"]
    assert item["access"]["expires_at"] > item["access"]["starts_at"]
    current = provider.owner.get("/payments/bucket/plans/").json()["items"]
    archived = provider.owner.get("/payments/bucket/plans/?archived=1").json()["items"]
    assert plan["id"] not in [p["id"] for p in current]
    assert [p["price"] for p in archived if p["id"] == plan["id"]] == [30]
    again = _sell(provider, plan_id=plan["id"])
    assert (again.status_code, again.json()["error"]["code"]) == (404, "plan_not_found")


def test_an_unused_plan_is_deleted(provider: Provider) -> None:
    plan = _create(provider, name="Never sold")
    removed = provider.owner.delete(f"/payments/bucket/plans/{plan['id']}/")
    assert removed.json()["outcome"] == "deleted"
    assert provider.owner.delete(f"/payments/bucket/plans/{plan['id']}/").status_code == 404


def test_initiate_refuses_another_price_and_another_providers_plan(
    relay: RunningRelay, provider: Provider
) -> None:
    plan = _create(provider, name="Priced")
    mismatch = _sell(provider, plan_id=plan["id"], amount=5)
    assert (mismatch.status_code, mismatch.json()["error"]["code"]) == (409, "plan_mismatch")
    same = _sell(provider, plan_id=plan["id"], amount=20)
    assert same.status_code == 200, same.text
    other = new_provider(relay, "Other Plans Net")
    try:
        theirs = _sell(other, plan_id=plan["id"])
        assert (theirs.status_code, theirs.json()["error"]["code"]) == (404, "plan_not_found")
        assert other.attendant.get("/payments/bucket/plans/").json()["items"] == []
    finally:
        other.close()
    missing = _sell(provider, account_reference="X", transaction_desc="Y")
    assert (missing.status_code, missing.json()["error"]["field"]) == (400, "amount")


def test_a_plan_write_wakes_a_waiting_feed(relay: RunningRelay) -> None:
    provider = new_provider(relay, "Quiet Net")  # no payment of its own can end the wait
    head = provider.attendant.get("/payments/bucket/payments/?after=0&limit=500").json()
    cursor = head["cursor"]
    answers: list[dict[str, Any]] = []

    def wait() -> None:
        page = provider.attendant.get(f"/payments/bucket/payments/?after={cursor}&wait=25")
        answers.append(page.json())

    waiter = threading.Thread(target=wait)
    waiter.start()
    # Written until the waiter has answered: the feed is already waiting or sees it at once.
    for _ in range(200):
        _create(provider, name="Wake-up plan")
        waiter.join(timeout=0.1)
        if not waiter.is_alive():
            break
    waiter.join()
    provider.close()
    assert answers and answers[0]["items"] == []
    assert answers[0]["plans_version"] > head["plans_version"]
