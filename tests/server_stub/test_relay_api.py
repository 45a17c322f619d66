"""Credentials, setup checks, tokens, the push guard and the feed, on a relay subprocess."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bucket_desktop.services.sealing import seal
from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.testing import RunningRelay
from tests.server_stub.helpers import (
    PAYBILL_CREDENTIALS,
    TILL_CREDENTIALS,
    Provider,
    client_for,
    initiate,
    new_provider,
    unique_phone,
)

# The whole API contract, on each database the relay supports.


@pytest.fixture
def provider(relay: RunningRelay) -> Iterator[Provider]:
    """A fresh paybill provider, for tests that change its credentials."""
    created = new_provider(relay, "Api Net")
    yield created
    created.close()


@pytest.fixture(scope="module")
def shared(relay: RunningRelay) -> Iterator[Provider]:
    """One paybill provider for tests that never change its credentials."""
    created = new_provider(relay, "Shared Net")
    yield created
    created.close()


def test_credentials_summary_is_masked(relay: RunningRelay, provider: Provider) -> None:
    response = provider.owner.get("/payments/bucket/credentials/")
    assert response.status_code == 200
    summary = response.json()
    assert summary["configured"] is True
    assert summary["shortcode"] == PAYBILL_CREDENTIALS["shortcode"]
    assert (summary["environment"], summary["account_type"]) == ("sandbox", "paybill")
    assert summary["verified"] is False
    assert summary["callback_url"] == (
        f"{relay.base_url}/payments/callback/{provider.provider_id}/"
    )
    for name in ("consumer_key", "consumer_secret", "passkey"):
        assert PAYBILL_CREDENTIALS[name] not in response.text


def test_attendant_may_not_read_change_or_test_credentials(
    relay: RunningRelay, shared: Provider
) -> None:
    attendant = shared.attendant
    assert attendant.get("/payments/bucket/credentials/").status_code == 403
    assert attendant.put("/payments/bucket/credentials/", json={}).status_code == 403
    refused = attendant.post("/payments/bucket/test-credentials/", json={})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    with client_for(relay, None) as anonymous:
        assert anonymous.get("/payments/bucket/relay-key/").status_code == 200
        assert anonymous.get("/payments/bucket/credentials/").status_code == 401


def test_sealed_credentials_replace_the_stored_ones(
    relay: RunningRelay, provider: Provider
) -> None:
    key = provider.owner.get("/payments/bucket/relay-key/").json()
    sealed = seal(key["public_key"], json.dumps(TILL_CREDENTIALS).encode())
    response = provider.owner.put(
        "/payments/bucket/credentials/",
        json={"sealed": sealed, "key_fingerprint": key["fingerprint"]},
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["account_type"], summary["shortcode"], summary["till_number"]) == (
        "till",
        TILL_CREDENTIALS["shortcode"],
        TILL_CREDENTIALS["till_number"],
    )
    assert provider.owner.get("/payments/bucket/credentials/").json() == summary


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sealed": "AAAA", "key_fingerprint": "0000-0000-0000-0000"}, 409, "relay_key_mismatch"),
        ({"sealed": "not base64!", "key_fingerprint": None}, 400, "invalid"),
        ({"sealed": "QUJD", "key_fingerprint": None}, 400, "bad_sealed_box"),
        ({"sealed": "{json}", "key_fingerprint": None}, 400, "invalid_credentials"),
        ({"key_fingerprint": None}, 400, "invalid"),
    ],
)
def test_bad_sealed_credentials_are_refused(
    provider: Provider, body: dict[str, Any], status: int, code: str
) -> None:
    body = dict(body)  # the parameter is shared by both databases' runs
    key = provider.owner.get("/payments/bucket/relay-key/").json()
    if body.get("key_fingerprint", "") is None:
        body["key_fingerprint"] = key["fingerprint"]
    if body.get("sealed") == "{json}":
        body["sealed"] = seal(key["public_key"], b'{"consumer_key": "x"}')
    response = provider.owner.put("/payments/bucket/credentials/", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert provider.owner.get("/payments/bucket/credentials/").json()["account_type"] == "paybill"


def test_setup_test_reports_each_check(relay: RunningRelay, provider: Provider) -> None:
    response = provider.owner.post("/payments/bucket/test-credentials/", json={})
    assert response.status_code == 200, response.text
    report = response.json()
    checks = {check["name"]: check for check in report["checks"]}
    assert report["success"] is True
    assert report["status"] == "warning"
    assert checks["credentials"]["ok"] is True
    assert checks["base_url"]["ok"] is True
    assert checks["callback_url"]["ok"] is False
    assert checks["callback_url"]["message"] == (
        f"Safaricom cannot reach {relay.base_url}: it is an address on one computer or network "
        "only, not on the internet. Ask your relay operator to give the relay a public HTTPS "
        "address that leads to it."
    )
    # Said once, in the check: the summary points to it instead of repeating it.
    assert "cannot reach" not in report["message"]
    assert "BASE_URL" not in response.text
    summary = provider.owner.get("/payments/bucket/credentials/").json()
    assert summary["verified"] is True
    assert summary["test_status"] == "warning"
    assert summary["last_test"] == report["tested_at"]


@pytest.mark.parametrize("field", ["consumer_secret", "consumer_key"])
def test_wrong_consumer_key_or_secret_fails_the_setup_test(relay: RunningRelay, field: str) -> None:
    wrong = {**PAYBILL_CREDENTIALS, field: "WrongValue000000000000000000000"}
    provider = new_provider(relay, f"Wrong {field}", wrong)
    try:
        report = provider.owner.post("/payments/bucket/test-credentials/", json={}).json()
        assert (report["success"], report["status"]) == (False, "failed")
        credentials_check = next(c for c in report["checks"] if c["name"] == "credentials")
        assert credentials_check["ok"] is False
        # The same sentence the desktop's own Test gives (tests/daraja_sim, against the sim).
        assert credentials_check["message"] == (
            "The consumer key or secret is wrong: copy both again from your Daraja app."
        )
        assert report["message"] == credentials_check["message"]
        assert provider.owner.get("/payments/bucket/credentials/").json()["verified"] is False
    finally:
        provider.close()


def test_provider_without_credentials_cannot_push(relay: RunningRelay) -> None:
    bare = new_provider(relay, "No Credentials", None)
    try:
        response = initiate(bare.attendant, unique_phone())
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "credentials_missing"
        assert bare.owner.get("/payments/bucket/credentials/").json()["configured"] is False
    finally:
        bare.close()


def test_revoked_token_stops_working_at_once(relay: RunningRelay, shared: Provider) -> None:
    token = relay.cli("issue-token", "--provider", str(shared.provider_id), "--role", "attendant")
    with client_for(relay, token["token"]) as client:
        assert client.get("/payments/bucket/payments/").status_code == 200
        assert relay.cli("revoke-token", token["token"])["revoked"] is True
        refused = client.get("/payments/bucket/payments/")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_token"


def test_second_push_to_a_phone_within_a_minute_is_refused(
    sim: RunningSimulator, shared: Provider
) -> None:
    phone = unique_phone()
    sim.set_phone_scenario(phone, "lost_callback")
    first = initiate(shared.attendant, phone, key="order-1")
    assert first.status_code == 200
    second = initiate(shared.attendant, phone, key="order-2")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "duplicate_push"
    again = initiate(shared.attendant, phone, key="order-1")
    assert again.status_code == 200
    assert again.json()["checkout_request_id"] == first.json()["checkout_request_id"]
    reused = initiate(shared.attendant, phone, amount=99, key="order-1")
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert len([e for e in sim.request_log("stk_push") if e["body"]["PhoneNumber"] == phone]) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone_number": "0812345678"}, "phone_number"),
        ({"amount": 1.5}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": True}, "amount"),
        ({"account_reference": "x" * 13}, "account_reference"),
        ({"transaction_desc": ""}, "transaction_desc"),
    ],
)
def test_invalid_push_requests_name_the_field(
    shared: Provider, change: dict[str, Any], field: str
) -> None:
    body = {
        "phone_number": unique_phone(),
        "amount": 10,
        "account_reference": "REF",
        "transaction_desc": "WiFi",
        **change,
    }
    response = shared.attendant.post("/payments/bucket/initiate/", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert response.json()["success"] is False


def test_status_reports_own_pushes_only(sim: RunningSimulator, shared: Provider) -> None:
    phone = unique_phone()
    sim.set_phone_scenario(phone, "paid")
    checkout = initiate(shared.attendant, phone).json()["checkout_request_id"]
    status = shared.attendant.post(
        "/payments/bucket/status/", json={"checkout_request_id": checkout}
    )
    assert status.status_code == 200
    assert status.json()["checkout_request_id"] == checkout
    assert status.json()["phone_number"] == phone
    missing = shared.attendant.post(
        "/payments/bucket/status/", json={"checkout_request_id": "ws_CO_unknown"}
    )
    assert missing.status_code == 404


def test_feed_cursor_misses_nothing_and_repeats_nothing(
    sim: RunningSimulator, provider: Provider
) -> None:
    phones = [unique_phone() for _ in range(3)]
    for phone in phones:
        sim.set_phone_scenario(phone, "cancelled")
        assert initiate(provider.attendant, phone).status_code == 200
    seen: list[dict[str, Any]] = []
    cursor = 0
    deadline = time.monotonic() + 15
    while sum(item["status"] == "cancelled" for item in seen) < 3:
        assert time.monotonic() < deadline
        page = provider.attendant.get(
            "/payments/bucket/payments/", params={"after": cursor, "wait": "5", "limit": "2"}
        ).json()
        seen.extend(page["items"])
        assert page["cursor"] >= cursor
        cursor = page["cursor"]
    seqs = [item["seq"] for item in seen]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert {item["phone_number"] for item in seen} == set(phones)
    last = provider.attendant.get("/payments/bucket/payments/", params={"after": cursor}).json()
    assert (last["items"], last["cursor"], last["head"]) == ([], cursor, cursor)
    assert last["plans_version"] == 0


def test_long_poll_wakes_on_commit(sim: RunningSimulator, provider: Provider) -> None:
    cursor = provider.attendant.get("/payments/bucket/payments/").json()["cursor"]
    answer: dict[str, Any] = {}

    def wait_for_change() -> None:
        started = time.monotonic()
        answer["page"] = provider.owner.get(
            "/payments/bucket/payments/", params={"after": cursor, "wait": "20"}
        ).json()
        answer["elapsed"] = time.monotonic() - started

    waiter = threading.Thread(target=wait_for_change)
    waiter.start()
    time.sleep(0.3)  # let the long poll start waiting before the change happens
    phone = unique_phone()
    sim.set_phone_scenario(phone, "lost_callback")
    assert initiate(provider.attendant, phone).status_code == 200
    waiter.join(60)
    # Woken by the commit, not by the end of its 20 s wait (with room for a busy PC).
    assert answer["elapsed"] < 15
    assert [item["phone_number"] for item in answer["page"]["items"]] == [phone]
