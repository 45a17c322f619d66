"""The real DarajaClient against the simulator, with only the base URL pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sim_helpers import PATIENT, CallbackReceiver

from bucket_desktop.services.credentials import AccountType, DarajaCredentials
from bucket_desktop.services.daraja_client import DarajaClient
from bucket_desktop.services.daraja_errors import (
    DarajaAuthError,
    DarajaCredentialsRejected,
    DarajaRateLimited,
    DarajaRequestError,
    DarajaSubscriberBusy,
)
from server_stub.daraja_sim.scenarios import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
    DEFAULT_SHORTCODE,
    DEFAULT_STORE_NUMBER,
    DEFAULT_TILL_NUMBER,
)
from server_stub.daraja_sim.testing import RunningSimulator, running_simulator

PAYBILL = DarajaCredentials(
    consumer_key=DEFAULT_CONSUMER_KEY,
    consumer_secret=DEFAULT_CONSUMER_SECRET,
    shortcode=DEFAULT_SHORTCODE,
    passkey=DEFAULT_PASSKEY,
)
TILL = DarajaCredentials(
    consumer_key=DEFAULT_CONSUMER_KEY,
    consumer_secret=DEFAULT_CONSUMER_SECRET,
    shortcode=DEFAULT_STORE_NUMBER,
    passkey=DEFAULT_PASSKEY,
    account_type=AccountType.TILL,
    till_number=DEFAULT_TILL_NUMBER,
)


@pytest.fixture
def patient_sim() -> Iterator[RunningSimulator]:
    """A simulator whose customers take two seconds: a first query is surely pending, and a
    second push to the phone surely finds its prompt open."""
    with running_simulator(**PATIENT) as sim:
        yield sim


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def client_for(sim: RunningSimulator, http: httpx.AsyncClient) -> DarajaClient:
    return DarajaClient.from_environment(http, {"DARAJA_BASE_URL": sim.base_url})


async def push(daraja: DarajaClient, creds: DarajaCredentials, phone: str, url: str) -> str:
    accepted = await daraja.stk_push(
        creds,
        phone_number=phone,
        amount=20,
        account_reference="HOTSPOT",
        transaction_desc="WiFi 2 hours",
        callback_url=url,
    )
    assert accepted.response_description == "Success. Request accepted for processing"
    return accepted.checkout_request_id


async def test_oauth_then_cached_token(sim: RunningSimulator, http: httpx.AsyncClient) -> None:
    daraja = client_for(sim, http)
    await daraja.test_credentials(PAYBILL)
    token = await daraja.access_token(PAYBILL)
    assert token == await daraja.access_token(PAYBILL)
    assert len(sim.request_log(kind="oauth")) == 1


WRONG_KEY_OR_SECRET = "The consumer key or secret is wrong: copy both again from your Daraja app."


@pytest.mark.parametrize("field", ["consumer_secret", "consumer_key"])
async def test_wrong_key_or_secret_is_an_auth_error(
    sim: RunningSimulator, http: httpx.AsyncClient, field: str
) -> None:
    wrong = DarajaCredentials.from_dict(PAYBILL.to_dict() | {field: "not-it"})
    with pytest.raises(DarajaAuthError) as error:
        await client_for(sim, http).test_credentials(wrong)
    assert error.value.http_status == 400
    # The same sentence the relay's setup test gives (tests/server_stub/test_relay_api.py).
    assert str(error.value) == WRONG_KEY_OR_SECRET


async def test_paybill_push_query_pending_then_paid(
    patient_sim: RunningSimulator, http: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    daraja = client_for(patient_sim, http)
    checkout = await push(daraja, PAYBILL, "254708374149", receiver.url())
    pending = await daraja.stk_query(PAYBILL, checkout)
    assert pending.pending and pending.result_code is None
    assert pending.checkout_request_id == checkout
    (received,) = await asyncio.to_thread(receiver.wait_for, 1)
    assert received.body["Body"]["stkCallback"]["CheckoutRequestID"] == checkout
    final = await daraja.stk_query(PAYBILL, checkout)
    assert not final.pending and final.result_code == "0"
    sent = patient_sim.request_log(kind="stk_push")[0]["body"]
    assert sent["TransactionType"] == "CustomerPayBillOnline"
    assert sent["PartyB"] == DEFAULT_SHORTCODE


async def test_till_push_and_cancelled_query(
    sim: RunningSimulator, http: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    daraja = client_for(sim, http)
    checkout = await push(daraja, TILL, "254700000002", receiver.url())
    await asyncio.to_thread(receiver.wait_for, 1)
    final = await daraja.stk_query(TILL, checkout)
    assert final.result_code == "1032"
    sent = sim.request_log(kind="stk_push")[0]["body"]
    assert sent["BusinessShortCode"] == DEFAULT_STORE_NUMBER
    assert sent["PartyB"] == DEFAULT_TILL_NUMBER
    assert sent["TransactionType"] == "CustomerBuyGoodsOnline"


async def test_a_token_invalidated_elsewhere_is_refreshed_once(
    sim: RunningSimulator, http: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    daraja = client_for(sim, http)
    await daraja.access_token(PAYBILL)
    # Another process signs in with the same app: the cached token stops working.
    await client_for(sim, http).test_credentials(PAYBILL)
    await push(daraja, PAYBILL, "254708374149", receiver.url())
    statuses = [entry["status"] for entry in sim.request_log(kind="stk_push")]
    assert statuses == [404, 200]


async def test_daraja_refusals_become_typed_errors(
    patient_sim: RunningSimulator, http: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    daraja = client_for(patient_sim, http)
    with pytest.raises(DarajaRateLimited):
        await push(daraja, PAYBILL, "254700000012", receiver.url())
    await push(daraja, PAYBILL, "254711000000", receiver.url())
    with pytest.raises(DarajaSubscriberBusy):
        await push(daraja, PAYBILL, "254711000000", receiver.url())
    wrong_passkey = DarajaCredentials.from_dict(PAYBILL.to_dict() | {"passkey": "nope"})
    with pytest.raises(DarajaCredentialsRejected):
        await push(daraja, wrong_passkey, "254708374149", receiver.url())
    with pytest.raises(DarajaRequestError) as bad_url:
        await push(daraja, PAYBILL, "254708374149", "not a url")
    assert bad_url.value.field == "CallBackURL"
