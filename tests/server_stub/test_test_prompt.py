"""The owner's test prompt against the simulator: the only honest check of shortcode + passkey."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bucket_desktop.services.credentials import DarajaCredentials
from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.testing import RunningRelay
from tests.server_stub.helpers import (
    PAYBILL_CREDENTIALS,
    Provider,
    new_provider,
    status_is,
    unique_phone,
    wait_for_payment,
)

CANCELLING_PHONE = "254700000002"
WRONG_PASSKEY = {**PAYBILL_CREDENTIALS, "passkey": "0" * 64}


@pytest.fixture
def shop(relay: RunningRelay) -> Iterator[Provider]:
    """A provider with the simulator's credentials."""
    provider = new_provider(relay, "Prompt Shop")
    yield provider
    provider.close()


def summary(provider: Provider) -> dict[str, object]:
    """GET /credentials/."""
    data: dict[str, object] = provider.owner.get("/payments/bucket/credentials/").json()
    return data


def test_verify_passes_a_wrong_passkey_and_says_it_did_not_check_it(relay: RunningRelay) -> None:
    shop = new_provider(relay, "Wrong Passkey Shop", WRONG_PASSKEY)
    try:
        verified = shop.owner.post("/payments/bucket/test-credentials/").json()
        assert verified["success"] is True  # Daraja's OAuth never sees the passkey
        assert "shortcode and passkey are proven only by a test prompt" in verified["message"]
        refused = shop.owner.post(
            "/payments/bucket/test-prompt/", json={"phone_number": unique_phone()}
        )
        assert refused.status_code == 502
        error = refused.json()["error"]
        assert error["code"] == "daraja_refused"
        assert "passkey" in error["message"].lower()
        assert summary(shop)["prompt_proven_at"] is None
    finally:
        shop.close()


def test_an_accepted_prompt_proves_the_credentials_and_never_counts_as_a_sale(
    sim: RunningSimulator, shop: Provider
) -> None:
    assert summary(shop)["prompt_proven_at"] is None
    answer = shop.owner.post("/payments/bucket/test-prompt/", json={"phone_number": unique_phone()})
    assert answer.status_code == 200, answer.text
    checkout = answer.json()["checkout_request_id"]
    assert summary(shop)["prompt_proven_at"]
    item = wait_for_payment(shop.owner, checkout, status_is("paid"))
    assert (item["purpose"], item["amount"], item["account_reference"]) == ("test", 1, "TEST")
    assert item["sent_by"]["name"] == "Owner"
    pushed = [e for e in sim.request_log("stk_push") if e["body"].get("PhoneNumber")]
    assert pushed[-1]["body"]["Amount"] == 1


def test_a_cancelled_prompt_still_proves_them(shop: Provider) -> None:
    answer = shop.owner.post(
        "/payments/bucket/test-prompt/", json={"phone_number": CANCELLING_PHONE, "amount": 2}
    )
    checkout = answer.json()["checkout_request_id"]
    item = wait_for_payment(shop.owner, checkout, status_is("cancelled"))
    assert item["purpose"] == "test" and item["amount"] == 2
    assert summary(shop)["prompt_proven_at"]


def test_new_credentials_must_be_proven_again(relay: RunningRelay, shop: Provider) -> None:
    shop.owner.post("/payments/bucket/test-prompt/", json={"phone_number": unique_phone()})
    assert summary(shop)["prompt_proven_at"]
    relay.cli(
        "set-credentials",
        "--provider",
        str(shop.provider_id),
        input=json.dumps(PAYBILL_CREDENTIALS),
    )
    assert summary(shop)["prompt_proven_at"] is None


def test_only_the_owner_sends_test_prompts_and_amounts_stay_small(shop: Provider) -> None:
    phone = unique_phone()
    assert (
        shop.attendant.post("/payments/bucket/test-prompt/", json={"phone_number": phone})
    ).status_code == 403
    big = shop.owner.post(
        "/payments/bucket/test-prompt/", json={"phone_number": phone, "amount": 500}
    )
    assert big.status_code == 400 and big.json()["error"]["field"] == "amount"


def test_the_summary_says_what_the_relay_holds_and_when_it_came(shop: Provider) -> None:
    held = summary(shop)
    creds = DarajaCredentials.from_dict(PAYBILL_CREDENTIALS)
    assert held["pushed_at"] and held["credentials_digest"] == creds.digest()
    other = DarajaCredentials.from_dict({**PAYBILL_CREDENTIALS, "passkey": "1" * 64})
    assert other.digest() != creds.digest()
    assert PAYBILL_CREDENTIALS["passkey"] not in json.dumps(held)
