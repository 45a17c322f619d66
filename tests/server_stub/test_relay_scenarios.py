"""Every simulator scenario end to end: relay subprocess, simulator, real callbacks and queries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from server_stub.daraja_sim.scenarios import DEFAULT_TILL_NUMBER
from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.testing import RunningRelay
from tests.server_stub.helpers import (
    TILL_CREDENTIALS,
    Provider,
    initiate,
    new_provider,
    outcomes_for,
    status_is,
    unique_phone,
    wait_for_payment,
)

FINAL = ("paid", "failed", "cancelled", "expired", "disputed")


@pytest.fixture(scope="module")
def provider(relay: RunningRelay) -> Iterator[Provider]:
    """One paybill provider on the simulator's default app."""
    created = new_provider(relay, "Scenario Net")
    yield created
    created.close()


def push(sim: RunningSimulator, provider: Provider, scenario: str, amount: int = 10) -> str:
    """Start a push whose customer follows `scenario`; returns its checkout request ID."""
    phone = unique_phone()
    sim.set_phone_scenario(phone, scenario)
    response = initiate(provider.attendant, phone, amount)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    # Only a callback that beats the push response can settle it before initiate answers.
    assert body["status"] == ("paid" if scenario == "callback_before_response" else "pending")
    return str(body["checkout_request_id"])


def test_paid_push_is_settled_by_its_callback(
    sim: RunningSimulator, relay: RunningRelay, provider: Provider
) -> None:
    checkout = push(sim, provider, "paid", amount=25)
    item = wait_for_payment(provider.attendant, checkout, status_is(*FINAL))
    assert item["status"] == "paid"
    assert item["resolved_by"] == "callback"
    assert item["result_code"] == "0"
    assert item["amount"] == 25
    assert item["mpesa_receipt_number"]
    assert outcomes_for(relay, checkout) == ["applied"]
    # The STK query ~2 s later confirms it, and the same commit gives the customer a code.
    confirmed = wait_for_payment(
        provider.attendant, checkout, lambda item: item["confirmation"] == "confirmed"
    )
    assert confirmed["seq"] > item["seq"]
    assert (len(confirmed["access"]["code"]), confirmed["access"]["state"]) == (8, "delivered")


def test_duplicate_callback_changes_nothing(
    sim: RunningSimulator, relay: RunningRelay, provider: Provider
) -> None:
    checkout = push(sim, provider, "duplicate_callback")
    paid = wait_for_payment(
        provider.attendant, checkout, lambda item: item["confirmation"] == "confirmed"
    )
    wait_until_outcomes(relay, checkout, 2)
    assert outcomes_for(relay, checkout) == ["applied", "duplicate"]
    now = provider.attendant.post(
        "/payments/bucket/status/", json={"checkout_request_id": checkout}
    ).json()
    assert (now["status"], now["seq"], now["updated_at"]) == (
        "paid",
        paid["seq"],
        paid["updated_at"],
    )


def test_lost_callback_is_resolved_by_query(sim: RunningSimulator, provider: Provider) -> None:
    checkout = push(sim, provider, "lost_callback")
    item = wait_for_payment(provider.attendant, checkout, status_is(*FINAL))
    assert (item["status"], item["resolved_by"], item["result_code"]) == ("paid", "query", "0")
    assert item["mpesa_receipt_number"] is None


def test_late_callback_after_query_adds_the_receipt(
    sim: RunningSimulator, relay: RunningRelay, provider: Provider
) -> None:
    checkout = push(sim, provider, "late_callback")
    by_query = wait_for_payment(provider.attendant, checkout, status_is(*FINAL))
    assert (by_query["status"], by_query["resolved_by"]) == ("paid", "query")
    confirmed = wait_for_payment(
        provider.attendant, checkout, lambda item: item["mpesa_receipt_number"] is not None
    )
    assert (confirmed["status"], confirmed["resolved_by"]) == ("paid", "query")
    assert outcomes_for(relay, checkout) == ["receipt_added"]


def test_query_disagreeing_with_the_callback_marks_the_push_disputed(
    sim: RunningSimulator, provider: Provider
) -> None:
    checkout = push(sim, provider, "query_disagrees")
    paid = wait_for_payment(provider.attendant, checkout, status_is(*FINAL))
    assert (paid["status"], paid["resolved_by"]) == ("paid", "callback")
    disputed = wait_for_payment(provider.attendant, checkout, status_is("disputed"))
    assert disputed["mpesa_receipt_number"] == paid["mpesa_receipt_number"]
    assert "disagree" in disputed["result_desc"]


@pytest.mark.parametrize(
    ("scenario", "status", "code"),
    [
        ("wrong_pin", "failed", "2001"),
        ("cancelled", "cancelled", "1032"),
        ("expired", "expired", "1019"),
        ("unreachable", "expired", "1037"),
        ("insufficient_funds", "failed", "1"),
    ],
)
def test_unpaid_outcomes_keep_code_and_text(
    sim: RunningSimulator, provider: Provider, scenario: str, status: str, code: str
) -> None:
    checkout = push(sim, provider, scenario)
    item = wait_for_payment(provider.attendant, checkout, status_is(*FINAL))
    assert (item["status"], item["result_code"], item["resolved_by"]) == (status, code, "callback")
    assert item["result_desc"]
    assert item["mpesa_receipt_number"] is None


def test_callback_before_the_push_response_is_applied(
    sim: RunningSimulator, provider: Provider
) -> None:
    checkout = push(sim, provider, "callback_before_response")
    item = wait_for_payment(provider.attendant, checkout, status_is(*FINAL))
    assert (item["status"], item["resolved_by"]) == ("paid", "callback")
    # The push response, arriving second, keeps the confirming query the callback scheduled.
    confirmed = wait_for_payment(
        provider.attendant, checkout, lambda item: item["confirmation"] == "confirmed"
    )
    assert confirmed["access"]["state"] == "delivered"


def test_server_error_after_prompt_still_records_the_payment(
    sim: RunningSimulator, provider: Provider
) -> None:
    cursor = provider.attendant.get("/payments/bucket/payments/").json()["cursor"]
    phone = unique_phone()
    sim.set_phone_scenario(phone, "server_error_after_prompt")
    response = initiate(provider.attendant, phone)
    assert response.status_code == 503
    assert "may still reach the phone" in response.json()["error"]["message"]
    # The kept reservation appears in the feed once the customer's callback settles it.
    item = wait_for_phone(provider, phone, cursor)
    assert (item["status"], item["resolved_by"]) == ("paid", "callback")


def wait_for_phone(provider: Provider, phone: str, cursor: int) -> dict[str, Any]:
    """The first feed item for `phone` after `cursor` (long-polls, bounded)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = provider.attendant.get(
            "/payments/bucket/payments/", params={"after": cursor, "wait": "2"}
        ).json()
        found = [item for item in page["items"] if item["phone_number"] == phone]
        if found:
            return dict(found[0])
        cursor = page["cursor"]
    raise AssertionError("the payment never appeared in the feed")


def test_spike_arrest_is_a_clear_refusal(sim: RunningSimulator, provider: Provider) -> None:
    phone = unique_phone()
    sim.set_phone_scenario(phone, "spike_arrest")
    response = initiate(provider.attendant, phone)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "daraja_rate_limited"
    retry = initiate(provider.attendant, phone)
    assert retry.json()["error"]["code"] != "duplicate_push"


def test_till_push_uses_store_number_and_till(sim: RunningSimulator, relay: RunningRelay) -> None:
    till = new_provider(relay, "Till Shop", TILL_CREDENTIALS)
    try:
        checkout = push(sim, till, "paid")
        item = wait_for_payment(till.attendant, checkout, status_is(*FINAL))
        assert item["status"] == "paid"
        sent = next(
            entry["body"]
            for entry in sim.request_log("stk_push")
            if entry.get("checkout_request_id") == checkout
        )
        assert sent["BusinessShortCode"] == TILL_CREDENTIALS["shortcode"]
        assert sent["PartyB"] == DEFAULT_TILL_NUMBER
        assert sent["TransactionType"] == "CustomerBuyGoodsOnline"
    finally:
        till.close()


def wait_until_outcomes(relay: RunningRelay, checkout: str, count: int) -> None:
    """Wait (bounded) until `count` raw callbacks reached the push."""
    deadline = time.monotonic() + 30
    while len(outcomes_for(relay, checkout)) < count:
        assert time.monotonic() < deadline, outcomes_for(relay, checkout)
        time.sleep(0.05)


@pytest.mark.parametrize("scenario", ["query_processing", "query_errors"])
def test_confirmation_waits_out_being_processed_and_query_errors(
    sim: RunningSimulator, provider: Provider, scenario: str
) -> None:
    checkout = push(sim, provider, scenario)
    paid = wait_for_payment(provider.attendant, checkout, status_is(*FINAL))
    assert (paid["status"], paid["confirmation"], paid["access"]) == ("paid", "pending", None)
    confirmed = wait_for_payment(
        provider.attendant,
        checkout,
        lambda item: item["confirmation"] == "confirmed",
        timeout_s=30.0,
    )
    assert confirmed["access"]["state"] == "delivered"
    queries = [
        entry
        for entry in sim.request_log("stk_query")
        if entry.get("checkout_request_id") == checkout
    ]
    retried = [entry for entry in queries if entry.get("pending") or entry.get("failed")]
    assert len(retried) >= (2 if scenario == "query_errors" else 1)
