"""RelayClient against a real relay subprocess (and the simulator behind it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bucket_desktop.services.credentials import DarajaCredentials
from bucket_desktop.services.relay_client import (
    RelayAuthError,
    RelayClient,
    RelayForbidden,
    RelayRequestError,
    RelayUnavailable,
    RelayUnexpectedResponse,
    normalise_relay_url,
)
from bucket_desktop.services.sealing import seal
from server_stub.daraja_sim import scenarios
from server_stub.daraja_sim.testing import FAST_TIMINGS, RunningSimulator, running_simulator
from server_stub.testing import RunningRelay, running_relay

CREDS = DarajaCredentials(
    consumer_key=scenarios.DEFAULT_CONSUMER_KEY,
    consumer_secret=scenarios.DEFAULT_CONSUMER_SECRET,
    shortcode=scenarios.DEFAULT_SHORTCODE,
    passkey=scenarios.DEFAULT_PASSKEY,
)


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    with running_simulator(**FAST_TIMINGS) as sim:
        yield sim


@pytest.fixture(scope="module")
def relay(simulator: RunningSimulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    env = {
        "DARAJA_BASE_URL": simulator.base_url,
        "MPESA_ENVIRONMENT": "sandbox",
        # No confirming query moves a paid payment while a test reads it (a snapshot taken
        # meanwhile would leave it to the feed).
        "RELAY_CONFIRM_FIRST_S": "3600",
    }
    with running_relay(tmp_path_factory.mktemp("relay"), env=env) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture
def provider(relay: RunningRelay) -> dict[str, Any]:
    return relay.cli("create-provider", "--name", "Mathare Net")


async def test_owner_pushes_sealed_credentials_and_verifies(
    http: httpx.AsyncClient, relay: RunningRelay, provider: dict[str, Any]
) -> None:
    owner = RelayClient(http, relay.base_url, provider["owner_token"])
    identity = await owner.identify()
    assert identity.is_owner and identity.provider_name == "Mathare Net"
    assert identity.provider_id == str(provider["provider_id"])
    assert not (await owner.credentials()).configured

    key = await owner.relay_key()
    summary = await owner.put_credentials(seal(key.public_key, CREDS.to_json()), key.fingerprint)
    assert summary.configured and summary.shortcode == CREDS.shortcode
    assert summary.environment == "sandbox" and summary.account_type == "paybill"
    assert not summary.verified

    result = await owner.test_credentials()
    assert result.success and result.tested_at
    assert {check.name for check in result.checks} >= {"credentials"}
    assert (await owner.credentials()).verified
    assert "SIMconsumer" not in repr(owner) and provider["owner_token"] not in repr(owner)


async def test_attendant_pushes_and_follows_the_payment(
    http: httpx.AsyncClient, relay: RunningRelay, provider: dict[str, Any]
) -> None:
    relay.cli("set-credentials", "--provider", str(provider["provider_id"]), input=CREDS.to_json())
    attendant = RelayClient(http, relay.base_url, provider["attendant_token"])
    assert (await attendant.identify()).role == "attendant"
    with pytest.raises(RelayForbidden):
        await attendant.credentials()

    push = await attendant.initiate(
        phone_number="254708374149", amount=10, account_reference="HOUR1", transaction_desc="WiFi"
    )
    assert push.status == "pending" and push.checkout_request_id
    page = await attendant.payments(after=0, wait=10)
    while not any(item.status == "paid" for item in page.items):
        page = await attendant.payments(after=page.cursor, wait=10)
    paid = next(item for item in page.items if item.status == "paid")
    assert paid.checkout_request_id == push.checkout_request_id
    assert paid.mpesa_receipt_number and paid.amount == 10
    status = await attendant.status(push.checkout_request_id)
    assert status.status == "paid" and status.resolved_by == "callback"

    # A new desk reads the same history in one streamed snapshot, then follows on from its end.
    streamed: list[dict[str, Any]] = []  # the relay's JSON, read by the payment book
    end = await attendant.snapshot(streamed.extend)
    assert end is not None and end.items == () and end.cursor == end.head
    assert [item["checkout_request_id"] for item in streamed] == [push.checkout_request_id]
    assert streamed[0]["status"] == "paid" and end.cursor == streamed[0]["seq"]
    with pytest.raises(RelayAuthError):
        await RelayClient(http, relay.base_url, "not-a-token").snapshot(streamed.extend)


async def test_refusals_are_typed_sentences(
    http: httpx.AsyncClient, relay: RunningRelay, provider: dict[str, Any]
) -> None:
    with pytest.raises(RelayAuthError) as wrong_token:
        await RelayClient(http, relay.base_url, "not-a-token").credentials()
    assert wrong_token.value.http_status == 401 and str(wrong_token.value)

    owner = RelayClient(http, relay.base_url, provider["owner_token"])
    with pytest.raises(RelayRequestError) as bad_input:
        await owner.initiate(
            phone_number="12", amount=10, account_reference="X", transaction_desc="Y"
        )
    assert bad_input.value.field == "phone_number"
    assert "phone" in str(bad_input.value).lower()


async def test_unreachable_and_foreign_servers(
    http: httpx.AsyncClient, simulator: RunningSimulator, tmp_path: Path
) -> None:
    with pytest.raises(RelayUnavailable, match="cannot be reached"):
        await RelayClient(http, "http://127.0.0.1:9", "t").credentials()
    with pytest.raises(RelayUnexpectedResponse, match="not like a Payment Bucket relay"):
        await RelayClient(http, simulator.base_url, "t").relay_key()
    # A server without the snapshot route (an older relay): the desk pages through the feed.
    assert await RelayClient(http, simulator.base_url, "t").snapshot(lambda items: None) is None


def test_relay_addresses_are_normalised() -> None:
    assert normalise_relay_url(" relay.example.com/ ") == "https://relay.example.com"
    assert normalise_relay_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    # A bare address on this PC or the shop's network is plain http, not a silent https://.
    assert normalise_relay_url("127.0.0.1:18782") == "http://127.0.0.1:18782"
    assert normalise_relay_url("localhost:8000") == "http://localhost:8000"
    assert normalise_relay_url("192.168.1.10:8000") == "http://192.168.1.10:8000"
    assert normalise_relay_url("relay.kamau.co.ke") == "https://relay.kamau.co.ke"
    assert normalise_relay_url("https://[::1]:8000") == "https://[::1]:8000"
    for bad in ("", "ftp://x", "https://x/?a=1", "kamau wifi relay", "https://kamau wifi"):
        with pytest.raises(ValueError):
            normalise_relay_url(bad)


async def test_owner_manages_desks_and_sends_a_test_prompt(
    http: httpx.AsyncClient, relay: RunningRelay, provider: dict[str, Any]
) -> None:
    relay.cli("set-credentials", "--provider", str(provider["provider_id"]), input=CREDS.to_json())
    owner = RelayClient(http, relay.base_url, provider["owner_token"])
    me = await owner.identify()
    assert (me.role, me.name) == ("owner", "Owner") and me.token_id
    added = await owner.add_desk("Counter 2")
    relay.secrets.add(added.token)
    assert added.desk.name == "Counter 2" and added.token not in repr(added)
    desk = RelayClient(http, relay.base_url, added.token)
    assert (await desk.identify()).name == "Counter 2"
    await owner.rename_desk(added.desk.token_id, "Gate")
    desks = await owner.desks()
    assert [(d.name, d.this_desk) for d in desks] == [
        ("Owner", True),
        ("Attendant desk", False),
        ("Gate", False),
    ]
    push = await desk.initiate(
        phone_number="254708374149", amount=10, account_reference="HOUR1", transaction_desc="WiFi"
    )
    assert (await owner.status(push.checkout_request_id)).sent_by == "Gate"
    await owner.revoke_desk(added.desk.token_id)
    with pytest.raises(RelayAuthError):
        await desk.identify()

    prompt = await owner.test_prompt("0712 000 111")
    tested = await owner.status(prompt.checkout_request_id)
    assert tested.is_test and tested.amount == 1 and tested.sent_by == "Owner"
    assert (await owner.credentials()).prompt_proven_at
