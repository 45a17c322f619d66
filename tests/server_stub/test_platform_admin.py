"""Platform administrators against a served relay and the simulator: created by the CLI, they
see every provider's health (never a secret), switch a provider off and on (callbacks of earlier
pushes still land), and issue and revoke a provider's tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.testing import RelayCliError, RunningRelay
from tests.server_stub.helpers import (
    PAYBILL_CREDENTIALS,
    Provider,
    client_for,
    initiate,
    new_provider,
    status_is,
    unique_phone,
    wait_for_payment,
)

# On each database the relay supports.


@pytest.fixture(scope="module")
def boss(relay: RunningRelay) -> Iterator[httpx.Client]:
    """A platform administrator's client, made with `bucket-relay create-admin`."""
    created = relay.cli("create-admin", "--name", "Platform team")
    assert set(created) == {"admin_id", "token"}
    with client_for(relay, created["token"]) as client:
        yield client


@pytest.fixture
def shop(relay: RunningRelay) -> Iterator[Provider]:
    """A provider with working credentials."""
    provider = new_provider(relay, "Admin Shop")
    yield provider
    provider.close()


def _provider(boss: httpx.Client, provider_id: int) -> dict[str, object]:
    items = boss.get("/payments/bucket/admin/providers/").json()["items"]
    return next(item for item in items if item["id"] == provider_id)


def test_health_shows_sales_and_never_a_secret(boss: httpx.Client, shop: Provider) -> None:
    checkout = initiate(shop.attendant, unique_phone(), amount=30).json()["checkout_request_id"]
    wait_for_payment(shop.owner, checkout, status_is("paid"))
    answer = boss.get("/payments/bucket/admin/providers/")
    assert answer.status_code == 200
    item = _provider(boss, shop.provider_id)
    assert item["name"] == "Admin Shop" and item["credentials_set"] is True
    assert (item["payments_today"], item["paid_today"]) == (1, 30)
    assert (item["payments_30d"], item["paid_30d"], item["disabled"]) == (1, 30, False)
    assert item["last_callback_at"] and item["environment"] == "sandbox"
    assert "credentials_not_verified" in item["attention"]
    text = answer.text
    for secret in ("consumer_key", "consumer_secret", "passkey"):
        assert PAYBILL_CREDENTIALS[secret] not in text
    assert shop.owner_token not in text and shop.attendant_token not in text


def test_a_disabled_provider_sends_no_prompt_but_its_callbacks_still_land(
    relay: RunningRelay, sim: RunningSimulator, boss: httpx.Client, shop: Provider
) -> None:
    phone = unique_phone()
    sim.set_phone_scenario(phone, "lost_callback")
    checkout = initiate(shop.attendant, phone, amount=20).json()["checkout_request_id"]
    sent = next(
        e["body"] for e in sim.request_log("stk_push") if e.get("checkout_request_id") == checkout
    )
    off = boss.post(f"/payments/bucket/admin/providers/{shop.provider_id}/disable/")
    assert off.json()["disabled"] is True and off.json()["changed"] is True
    refused = initiate(shop.attendant, unique_phone())
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "provider_disabled"
    assert "switched off by the platform administrator" in error["message"]
    prompt = shop.owner.post("/payments/bucket/test-prompt/", json={"phone_number": phone})
    assert prompt.json()["error"]["code"] == "provider_disabled"
    late = {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": sent.get("MerchantRequestID", "m"),
                "CheckoutRequestID": checkout,
                "ResultCode": 0,
                "ResultDesc": "ok",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": 20},
                        {"Name": "MpesaReceiptNumber", "Value": "RDS0000001"},
                    ]
                },
            }
        }
    }
    assert httpx.post(sent["CallBackURL"], json=late).status_code == 200
    paid = wait_for_payment(shop.attendant, checkout, status_is("paid"))
    assert paid["mpesa_receipt_number"] == "RDS0000001"
    assert _provider(boss, shop.provider_id)["disabled"] is True
    on = boss.post(f"/payments/bucket/admin/providers/{shop.provider_id}/enable/")
    assert on.json()["disabled"] is False
    assert initiate(shop.attendant, unique_phone()).status_code == 200


def test_admin_issues_and_revokes_a_providers_tokens(
    relay: RunningRelay, boss: httpx.Client, shop: Provider
) -> None:
    url = f"/payments/bucket/admin/providers/{shop.provider_id}/tokens/"
    issued = boss.post(url, json={"role": "owner", "name": "Second owner PC"}).json()
    relay.secrets.add(issued["token"])
    with client_for(relay, issued["token"]) as second:
        me = second.get("/payments/bucket/me/").json()
        assert (me["role"], me["name"], me["provider_id"]) == (
            "owner",
            "Second owner PC",
            shop.provider_id,
        )
        listed = boss.get(url).json()["items"]
        assert [item["name"] for item in listed] == ["Owner", "Attendant desk", "Second owner PC"]
        assert "token" not in json.dumps(listed).replace("token_id", "")
        gone = boss.delete(f"/payments/bucket/admin/tokens/{issued['token_id']}/")
        assert gone.json()["revoked"] is True
        assert second.get("/payments/bucket/me/").status_code == 401
    again = boss.delete(f"/payments/bucket/admin/tokens/{issued['token_id']}/")
    assert again.status_code == 404
    own = boss.get("/payments/bucket/me/").json()["token_id"]
    assert boss.delete(f"/payments/bucket/admin/tokens/{own}/").status_code == 404
    assert boss.post(url, json={"role": "admin"}).status_code == 400


def test_admin_tokens_are_issued_and_revoked_with_the_cli(relay: RunningRelay) -> None:
    made = relay.cli("issue-token", "--admin", "Night operator")
    with client_for(relay, made["token"]) as night:
        assert night.get("/payments/bucket/me/").json()["role"] == "admin"
        relay.cli("revoke-token", made["token"])
        assert night.get("/payments/bucket/admin/providers/").status_code == 401
    with pytest.raises(RelayCliError, match="--admin takes no --provider"):
        relay.cli("issue-token", "--admin", "X", "--provider", "1")
    with pytest.raises(RelayCliError, match="needs --provider"):
        relay.cli("issue-token", "--role", "owner")
