"""A token of provider A can never read, change or trigger anything of provider B."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from bucket_desktop.services.sealing import seal
from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.testing import RunningRelay
from tests.server_stub.helpers import (
    PAYBILL_CREDENTIALS,
    TILL_CREDENTIALS,
    Provider,
    initiate,
    new_provider,
    raw_callbacks,
    unique_phone,
)


@pytest.fixture(scope="module")
def pair(relay: RunningRelay) -> Iterator[tuple[Provider, Provider]]:
    """Provider A (paybill) and provider B (till)."""
    a = new_provider(relay, "Provider A", PAYBILL_CREDENTIALS)
    b = new_provider(relay, "Provider B", TILL_CREDENTIALS)
    yield a, b
    a.close()
    b.close()


def pending_push(sim: RunningSimulator, provider: Provider) -> tuple[str, str]:
    """A push whose callback never comes; returns (checkout id, its callback URL)."""
    phone = unique_phone()
    sim.set_phone_scenario(phone, "lost_callback")
    checkout = initiate(provider.attendant, phone).json()["checkout_request_id"]
    sent = next(
        e["body"] for e in sim.request_log("stk_push") if e.get("checkout_request_id") == checkout
    )
    return checkout, sent["CallBackURL"]


def feed_ids(client: httpx.Client) -> set[str]:
    """Every checkout ID in the client's feed."""
    page = client.get("/payments/bucket/payments/", params={"limit": "500"}).json()
    return {item["checkout_request_id"] for item in page["items"]}


def test_status_and_feed_show_only_own_pushes(
    sim: RunningSimulator, pair: tuple[Provider, Provider]
) -> None:
    a, b = pair
    a_checkout, _ = pending_push(sim, a)
    b_checkout, _ = pending_push(sim, b)
    for client in (a.owner, a.attendant):
        refused = client.post("/payments/bucket/status/", json={"checkout_request_id": b_checkout})
        assert refused.status_code == 404
        assert b_checkout not in feed_ids(client)
        assert a_checkout in feed_ids(client)
    assert a_checkout not in feed_ids(b.attendant)


def test_initiate_uses_the_callers_own_credentials(
    sim: RunningSimulator, pair: tuple[Provider, Provider]
) -> None:
    a, b = pair
    a_checkout, a_url = pending_push(sim, a)
    b_checkout, b_url = pending_push(sim, b)
    pushes = {e.get("checkout_request_id"): e["body"] for e in sim.request_log("stk_push")}
    assert pushes[a_checkout]["BusinessShortCode"] == PAYBILL_CREDENTIALS["shortcode"]
    assert pushes[b_checkout]["BusinessShortCode"] == TILL_CREDENTIALS["shortcode"]
    assert f"/payments/callback/{a.provider_id}/" in a_url
    assert f"/payments/callback/{b.provider_id}/" in b_url


def test_credentials_routes_touch_only_the_callers_provider(
    relay: RunningRelay, pair: tuple[Provider, Provider]
) -> None:
    a, b = pair
    b_before = b.owner.get("/payments/bucket/credentials/").json()
    a_summary = a.owner.get("/payments/bucket/credentials/").json()
    assert (a_summary["provider_id"], a_summary["shortcode"]) == (
        a.provider_id,
        PAYBILL_CREDENTIALS["shortcode"],
    )
    key = a.owner.get("/payments/bucket/relay-key/").json()
    sealed = seal(key["public_key"], json.dumps(PAYBILL_CREDENTIALS).encode())
    put = a.owner.put(
        "/payments/bucket/credentials/",
        json={"sealed": sealed, "key_fingerprint": key["fingerprint"]},
    )
    assert put.status_code == 200 and put.json()["provider_id"] == a.provider_id
    assert a.owner.post("/payments/bucket/test-credentials/", json={}).status_code == 200
    assert b.owner.get("/payments/bucket/credentials/").json() == b_before


def test_callback_on_another_providers_path_is_recorded_not_applied(
    relay: RunningRelay, sim: RunningSimulator, pair: tuple[Provider, Provider]
) -> None:
    a, b = pair
    b_checkout, b_url = pending_push(sim, b)
    b_token = b_url.rstrip("/").rsplit("/", 1)[-1]
    forged = {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "m-1",
                "CheckoutRequestID": b_checkout,
                "ResultCode": 0,
                "ResultDesc": "ok",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": 10},
                        {"Name": "MpesaReceiptNumber", "Value": "ZZZ0000001"},
                    ]
                },
            }
        }
    }
    path = f"/payments/callback/{a.provider_id}/{b_token}/"
    response = httpx.post(relay.base_url + path, json=forged)
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    row = [r for r in raw_callbacks(relay) if r["provider_ref"] == str(a.provider_id)][-1]
    assert (row["outcome"], row["checkout_request_id"]) == ("wrong_provider", b_checkout)
    status = b.attendant.post("/payments/bucket/status/", json={"checkout_request_id": b_checkout})
    assert status.json()["mpesa_receipt_number"] != "ZZZ0000001"
