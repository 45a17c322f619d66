"""DarajaClient against respx: every success and error shape of DARAJA.md."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from bucket_desktop.services.credentials import AccountType, DarajaCredentials, Environment
from bucket_desktop.services.daraja_client import (
    HOSTS,
    DarajaClient,
    nairobi_timestamp,
    stk_password,
)
from bucket_desktop.services.daraja_errors import (
    DarajaAuthError,
    DarajaCredentialsRejected,
    DarajaError,
    DarajaRateLimited,
    DarajaRequestError,
    DarajaSubscriberBusy,
    DarajaTokenRejected,
    DarajaUnavailable,
    DarajaUnexpectedResponse,
)

SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
BASE = HOSTS[Environment.SANDBOX]
OAUTH = f"{BASE}/oauth/v1/generate"
PUSH = f"{BASE}/mpesa/stkpush/v1/processrequest"
QUERY = f"{BASE}/mpesa/stkpushquery/v1/query"
FIXED_NOW = datetime(2021, 6, 28, 6, 24, 8, tzinfo=UTC)  # 09:24:08 in Nairobi

PAYBILL = DarajaCredentials(
    consumer_key="ck-Secret-Key-123",
    consumer_secret="cs-Very-Secret-456",
    shortcode="174379",
    passkey=SANDBOX_PASSKEY,
)
TILL = DarajaCredentials(
    consumer_key="ck-till",
    consumer_secret="cs-till",
    shortcode="174380",
    passkey=SANDBOX_PASSKEY,
    account_type=AccountType.TILL,
    till_number="5174380",
)
ACCEPTED = {
    "MerchantRequestID": "29115-34620561-1",
    "CheckoutRequestID": "ws_CO_191220191020363925",
    "ResponseCode": "0",
    "ResponseDescription": "Success. Request accepted for processing",
    "CustomerMessage": "Success. Request accepted for processing",
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def daraja(http: httpx.AsyncClient, clock: FakeClock) -> DarajaClient:
    return DarajaClient(http, clock=clock, now=lambda: FIXED_NOW)


def token_route(mock: respx.MockRouter, *tokens: str, expires_in: object = "3599") -> respx.Route:
    responses = [
        httpx.Response(200, json={"access_token": t, "expires_in": expires_in}) for t in tokens
    ]
    return mock.get(OAUTH, params={"grant_type": "client_credentials"}).mock(side_effect=responses)


async def push(daraja: DarajaClient, creds: DarajaCredentials = PAYBILL) -> object:
    return await daraja.stk_push(
        creds,
        phone_number="254708374149",
        amount=10,
        account_reference="Hotspot1h",
        transaction_desc="WiFi 1 hour",
        callback_url="https://relay.example.co.ke/payments/callback/1/tok/",
    )


def test_password_reproduces_safaricoms_sample() -> None:
    sample = (
        "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQy"
        "YzkxOTIwMjEwNjI4MDkyNDA4"
    )
    assert stk_password("174379", SANDBOX_PASSKEY, "20210628092408") == sample


def test_timestamp_is_nairobi_time() -> None:
    assert nairobi_timestamp(FIXED_NOW) == "20210628092408"


@respx.mock
async def test_token_is_cached_and_accepts_string_expiry(daraja: DarajaClient) -> None:
    route = token_route(respx.mock, "tok-1")
    assert await daraja.access_token(PAYBILL) == "tok-1"
    assert await daraja.access_token(PAYBILL) == "tok-1"
    assert route.call_count == 1
    sent = route.calls[0].request.headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(b"ck-Secret-Key-123:cs-Very-Secret-456").decode()


@respx.mock
async def test_token_refreshed_a_few_minutes_before_expiry(
    daraja: DarajaClient, clock: FakeClock
) -> None:
    route = token_route(respx.mock, "tok-1", "tok-2", expires_in=3599)
    assert await daraja.access_token(PAYBILL) == "tok-1"
    clock.now += 3599 - 301
    assert await daraja.access_token(PAYBILL) == "tok-1"
    clock.now += 2
    assert await daraja.access_token(PAYBILL) == "tok-2"
    assert route.call_count == 2


@respx.mock
async def test_ten_concurrent_callers_fetch_one_token(daraja: DarajaClient) -> None:
    async def slow_token(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return httpx.Response(200, json={"access_token": "shared", "expires_in": 3599})

    route = respx.get(OAUTH).mock(side_effect=slow_token)
    tokens = await asyncio.gather(*(daraja.access_token(PAYBILL) for _ in range(10)))
    assert set(tokens) == {"shared"}
    assert route.call_count == 1


@respx.mock
async def test_each_daraja_app_has_its_own_token(daraja: DarajaClient) -> None:
    route = token_route(respx.mock, "paybill-token", "till-token")
    assert await daraja.access_token(PAYBILL) == "paybill-token"
    assert await daraja.access_token(TILL) == "till-token"
    assert route.call_count == 2


@respx.mock
async def test_test_credentials_always_signs_in_afresh(daraja: DarajaClient) -> None:
    route = token_route(respx.mock, "tok-1", "tok-2")
    await daraja.access_token(PAYBILL)
    await daraja.test_credentials(PAYBILL)
    assert route.call_count == 2
    assert await daraja.access_token(PAYBILL) == "tok-2"


@respx.mock
async def test_paybill_push_body(daraja: DarajaClient) -> None:
    token_route(respx.mock, "tok-1")
    route = respx.post(PUSH).mock(return_value=httpx.Response(200, json=ACCEPTED))
    accepted = await push(daraja)
    assert accepted.checkout_request_id == "ws_CO_191220191020363925"  # type: ignore[attr-defined]
    request = route.calls[0].request
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert body == {
        "BusinessShortCode": "174379",
        "Password": stk_password("174379", SANDBOX_PASSKEY, "20210628092408"),
        "Timestamp": "20210628092408",
        "TransactionType": "CustomerPayBillOnline",
        "Amount": 10,
        "PartyA": "254708374149",
        "PartyB": "174379",
        "PhoneNumber": "254708374149",
        "CallBackURL": "https://relay.example.co.ke/payments/callback/1/tok/",
        "AccountReference": "Hotspot1h",
        "TransactionDesc": "WiFi 1 hour",
    }


@respx.mock
async def test_till_push_uses_store_number_and_buy_goods(daraja: DarajaClient) -> None:
    token_route(respx.mock, "tok-1")
    route = respx.post(PUSH).mock(return_value=httpx.Response(200, json=ACCEPTED))
    await push(daraja, TILL)
    body = json.loads(route.calls[0].request.content)
    assert body["BusinessShortCode"] == "174380"
    assert body["PartyB"] == "5174380"
    assert body["TransactionType"] == "CustomerBuyGoodsOnline"
    assert body["Password"] == stk_password("174380", SANDBOX_PASSKEY, body["Timestamp"])


@respx.mock
async def test_query_being_processed_is_pending(daraja: DarajaClient) -> None:
    token_route(respx.mock, "tok-1")
    respx.post(QUERY).mock(
        side_effect=[
            httpx.Response(
                500,
                json={
                    "requestId": "1",
                    "errorCode": "500.001.1001",
                    "errorMessage": "The transaction is being processed",
                },
            ),
            httpx.Response(
                200,
                json={
                    "ResponseCode": "0",
                    "ResponseDescription": "processed",
                    "MerchantRequestID": "m-1",
                    "CheckoutRequestID": "ws_CO_1",
                    "ResultCode": "1032",
                    "ResultDesc": "Request cancelled",
                },
            ),
        ]
    )
    first = await daraja.stk_query(PAYBILL, "ws_CO_1")
    assert first.pending and first.result_code is None
    second = await daraja.stk_query(PAYBILL, "ws_CO_1")
    assert not second.pending
    assert second.result_code == "1032"
    assert second.result_desc == "Request cancelled"


@respx.mock
async def test_invalid_token_refreshes_once_and_retries(daraja: DarajaClient) -> None:
    tokens = token_route(respx.mock, "stale", "fresh")
    invalid = {"requestId": "1", "errorCode": "404.001.03", "errorMessage": "Invalid Access Token"}
    route = respx.post(PUSH).mock(
        side_effect=[httpx.Response(404, json=invalid), httpx.Response(200, json=ACCEPTED)]
    )
    await push(daraja)
    assert tokens.call_count == 2
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer stale",
        "Bearer fresh",
    ]


@respx.mock
async def test_invalid_token_is_retried_never_more_than_once(daraja: DarajaClient) -> None:
    tokens = token_route(respx.mock, "t1", "t2", "t3")
    invalid = {"requestId": "1", "errorCode": "404.001.03", "errorMessage": "Invalid Access Token"}
    route = respx.post(PUSH).mock(return_value=httpx.Response(404, json=invalid))
    with pytest.raises(DarajaTokenRejected):
        await push(daraja)
    assert route.call_count == 2
    assert tokens.call_count == 2


def envelope(code: str, message: str) -> dict[str, str]:
    return {"requestId": "6916-1234", "errorCode": code, "errorMessage": message}


ERROR_SHAPES = [
    pytest.param(
        httpx.Response(400, json=envelope("400.002.02", "Bad Request - Invalid Amount")),
        DarajaRequestError,
        "Invalid Amount",
        id="invalid-field",
    ),
    pytest.param(
        httpx.Response(500, json=envelope("500.001.1001", "Wrong credentials")),
        DarajaCredentialsRejected,
        "shortcode and passkey do not match",
        id="wrong-credentials",
    ),
    pytest.param(
        httpx.Response(500, json=envelope("500.001.1001", "Merchant does not exist")),
        DarajaCredentialsRejected,
        "does not know this shortcode",
        id="no-merchant",
    ),
    pytest.param(
        httpx.Response(
            500,
            json=envelope(
                "500.001.1001", "Unable to lock subscriber, a transaction is already in process"
            ),
        ),
        DarajaSubscriberBusy,
        "wait 1 to 2 minutes",
        id="subscriber-locked",
    ),
    pytest.param(
        httpx.Response(500, json=envelope("500.003.02", "System is busy. Spike Arrest")),
        DarajaRateLimited,
        "rate limiting",
        id="spike-arrest",
    ),
    pytest.param(
        httpx.Response(500, json=envelope("500.003.03", "Quota Violation")),
        DarajaRateLimited,
        "quota",
        id="quota",
    ),
    pytest.param(
        httpx.Response(
            404,
            json={
                "fault": {
                    "faultstring": "Unable to identify proxy for host: default and url: /wrong",
                    "detail": {"errorcode": "x"},
                }
            },
        ),
        DarajaUnexpectedResponse,
        "does not offer this service",
        id="apigee-wrong-path",
    ),
    pytest.param(
        httpx.Response(
            401, json={"fault": {"faultstring": "Invalid API call as no apiproduct match found"}}
        ),
        DarajaUnexpectedResponse,
        "not enabled for M-PESA Express",
        id="apigee-product",
    ),
    pytest.param(
        httpx.Response(
            503,
            text="<html><body><h1>503 Service Unavailable</h1></body></html>",
            headers={"Content-Type": "text/html"},
        ),
        DarajaUnavailable,
        "unavailable right now: try again",
        id="html-503",
    ),
    pytest.param(httpx.Response(200, text=""), DarajaUnavailable, "empty answer", id="empty-200"),
    pytest.param(httpx.Response(502, text=""), DarajaUnavailable, "empty answer", id="empty-502"),
    pytest.param(
        httpx.Response(200, text="<html>maintenance</html>"),
        DarajaUnexpectedResponse,
        "could not understand",
        id="html-200",
    ),
    pytest.param(
        httpx.Response(200, json=[1, 2]),
        DarajaUnexpectedResponse,
        "could not understand",
        id="json-array",
    ),
    pytest.param(
        httpx.Response(200, json={"ResponseCode": "0"}),
        DarajaUnexpectedResponse,
        "missing expected details",
        id="no-checkout-id",
    ),
    pytest.param(
        httpx.Response(200, json={"ResponseCode": "1", "ResponseDescription": "Rejected"}),
        DarajaError,
        "did not accept the payment request: Rejected",
        id="response-code",
    ),
    pytest.param(
        httpx.ConnectError("refused"),
        DarajaUnavailable,
        "Could not connect",
        id="connection-refused",
    ),
    pytest.param(
        httpx.ReadTimeout("slow"), DarajaUnavailable, "did not answer in time", id="timeout"
    ),
]


@respx.mock
@pytest.mark.parametrize(("answer", "kind", "sentence"), ERROR_SHAPES)
async def test_push_errors_become_typed_sentences(
    daraja: DarajaClient,
    answer: object,
    kind: type[DarajaError],
    sentence: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token_route(respx.mock, "tok-1")
    route = respx.post(PUSH)
    if isinstance(answer, Exception):
        route.mock(side_effect=answer)
    else:
        route.mock(return_value=answer)
    with pytest.raises(kind) as caught:
        await push(daraja)
    assert sentence in str(caught.value)
    assert type(caught.value) is kind
    exposed = str(caught.value) + repr(caught.value) + caplog.text
    for secret in (PAYBILL.consumer_key, PAYBILL.consumer_secret, SANDBOX_PASSKEY, "tok-1"):
        assert secret not in exposed


TOKEN_ERRORS = [
    pytest.param(
        httpx.Response(400, text=""),
        DarajaAuthError,
        "consumer key or secret is wrong",
        id="wrong-secret-empty-400",
    ),
    pytest.param(
        httpx.Response(
            401, json={"resultCode": "999991", "resultDesc": "Invalid client id passed"}
        ),
        DarajaAuthError,
        "consumer key or secret is wrong",
        id="wrong-key-result-body",
    ),
    pytest.param(
        httpx.Response(400, json=envelope("400.008.01", "Invalid Authentication passed")),
        DarajaAuthError,
        "consumer key or secret is wrong",
        id="bad-auth-type",
    ),
    pytest.param(
        httpx.Response(400, json=envelope("400.008.02", "Invalid grant type passed")),
        DarajaAuthError,
        "invalid grant type",
        id="bad-grant-type",
    ),
    pytest.param(
        httpx.Response(401, json={"fault": {"faultstring": "Invalid ApiKey"}}),
        DarajaAuthError,
        "consumer key or secret is wrong",
        id="apigee-invalid-key",
    ),
    pytest.param(
        httpx.Response(200, json={"expires_in": "3599"}),
        DarajaUnexpectedResponse,
        "missing expected details",
        id="no-access-token",
    ),
    pytest.param(
        httpx.Response(503, text="<html>Service Unavailable</html>"),
        DarajaUnavailable,
        "unavailable right now",
        id="html-503",
    ),
]


@respx.mock
@pytest.mark.parametrize(("answer", "kind", "sentence"), TOKEN_ERRORS)
async def test_sign_in_errors(
    daraja: DarajaClient, answer: httpx.Response, kind: type[DarajaError], sentence: str
) -> None:
    respx.get(OAUTH).mock(return_value=answer)
    with pytest.raises(kind) as caught:
        await daraja.test_credentials(PAYBILL)
    assert sentence in str(caught.value)
    assert PAYBILL.consumer_secret not in str(caught.value) + repr(caught.value)


@respx.mock
async def test_environment_override_and_hosts(http: httpx.AsyncClient) -> None:
    daraja = DarajaClient.from_environment(http, {"DARAJA_BASE_URL": "http://127.0.0.1:9/"})
    assert daraja.base_url(Environment.PRODUCTION) == "http://127.0.0.1:9"
    plain = DarajaClient.from_environment(http, {})
    assert plain.base_url(Environment.PRODUCTION) == "https://api.safaricom.co.ke"
    assert plain.base_url(Environment.SANDBOX) == "https://sandbox.safaricom.co.ke"


def test_credentials_repr_hides_secrets() -> None:
    text = repr(PAYBILL) + str(PAYBILL)
    for secret in (PAYBILL.consumer_key, PAYBILL.consumer_secret, SANDBOX_PASSKEY):
        assert secret not in text
    assert "174379" in text
