"""STK push and query checks: Daraja's error codes, statuses and bodies for bad requests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sim_helpers import DarajaCaller, assert_daraja_error, password, timestamp_now

from server_stub.daraja_sim.scenarios import DEFAULT_PASSKEY, DEFAULT_SHORTCODE
from server_stub.daraja_sim.testing import running_simulator

PUSH = "/mpesa/stkpush/v1/processrequest"
CALLBACK = "https://relay.example/payments/callback/1/abc/"
PHONE = "254708374149"


def test_push_without_a_token_is_404_001_03(caller: DarajaCaller) -> None:
    response = caller.http.post(PUSH, json=caller.push_body(PHONE, CALLBACK))
    assert_daraja_error(response, 404, "404.001.03", "Invalid Access Token")


def test_push_with_an_unknown_token_is_404_001_03(caller: DarajaCaller) -> None:
    response = caller.push("NotAToken0000000000000000000", caller.push_body(PHONE, CALLBACK))
    assert_daraja_error(response, 404, "404.001.03", "Invalid Access Token")


def test_a_form_body_reads_as_an_invalid_shortcode(caller: DarajaCaller) -> None:
    token = caller.token()
    form = {k: str(v) for k, v in caller.push_body(PHONE, CALLBACK).items()}
    response = caller.http.post(PUSH, data=form, headers={"Authorization": f"Bearer {token}"})
    assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid BusinessShortCode")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object(caller: DarajaCaller, raw: bytes) -> None:
    token = caller.token()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    response = caller.http.post(PUSH, content=raw, headers=headers)
    assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid BusinessShortCode")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("BusinessShortCode", "17437"),  # known length, but not this app's: see below
        ("BusinessShortCode", "abc"),
        ("BusinessShortCode", None),
        ("Password", ""),
        ("Timestamp", "2024"),
        ("Timestamp", "20241399000000"),
        ("TransactionType", "CustomerPayBill"),
        ("Amount", 1.5),
        ("Amount", 0),
        ("Amount", 250_001),
        ("Amount", "ten"),
        ("Amount", True),
        ("PartyA", "0712345678"),
        ("PartyB", "12"),
        ("PhoneNumber", "254612345678"),
        ("PhoneNumber", 2547083741490),
        ("CallBackURL", "relay.example/cb"),
        ("CallBackURL", "https://relay.example/c b"),
        ("CallBackURL", "ftp://relay.example/cb"),
        ("AccountReference", ""),
        ("AccountReference", "A" * 13),
        ("TransactionDesc", "D" * 14),
        ("TransactionDesc", None),
    ],
)
def test_invalid_fields_are_400_002_02(caller: DarajaCaller, field: str, value: Any) -> None:
    token = caller.token()
    body = caller.push_body(PHONE, CALLBACK, **{field: value})
    response = caller.push(token, body)
    if field == "BusinessShortCode" and value == "17437":
        assert_daraja_error(response, 500, "500.001.1001", "Merchant does not exist")
        return
    assert_daraja_error(response, 400, "400.002.02", f"Bad Request - Invalid {field}")


def test_a_missing_field_is_reported_by_name(caller: DarajaCaller) -> None:
    token = caller.token()
    body = caller.push_body(PHONE, CALLBACK)
    del body["CallBackURL"]
    response = caller.push(token, body)
    assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid CallBackURL")


@pytest.mark.parametrize(
    "overrides",
    [
        {"Amount": "10"},
        {"Amount": 10.0},
        {"BusinessShortCode": int(DEFAULT_SHORTCODE), "PartyB": int(DEFAULT_SHORTCODE)},
        {"PhoneNumber": 254708374149, "PartyA": 254708374149},
        {"CallBackURL": "http://127.0.0.1:8000/payments/callback/1/x/"},
    ],
)
def test_forms_daraja_accepts(caller: DarajaCaller, overrides: dict[str, Any]) -> None:
    token = caller.token()
    response = caller.push(token, caller.push_body(PHONE, CALLBACK, **overrides))
    assert response.status_code == 200, response.text


def test_a_wrong_passkey_is_wrong_credentials(caller: DarajaCaller) -> None:
    token = caller.token()
    stamp = timestamp_now()
    body = caller.push_body(
        PHONE, CALLBACK, Timestamp=stamp, Password=password(DEFAULT_SHORTCODE, "nope", stamp)
    )
    assert_daraja_error(caller.push(token, body), 500, "500.001.1001", "Wrong credentials")


def test_a_password_made_with_another_timestamp_is_wrong_credentials(
    caller: DarajaCaller,
) -> None:
    token = caller.token()
    body = caller.push_body(
        PHONE,
        CALLBACK,
        Timestamp="20240101120000",
        Password=password(DEFAULT_SHORTCODE, DEFAULT_PASSKEY, "20240101120001"),
    )
    assert_daraja_error(caller.push(token, body), 500, "500.001.1001", "Wrong credentials")


def test_partyb_must_match_the_account(caller: DarajaCaller) -> None:
    token = caller.token()
    body = caller.push_body(PHONE, CALLBACK, PartyB="600000")
    assert_daraja_error(caller.push(token, body), 400, "400.002.02", "Bad Request - Invalid PartyB")


def test_query_for_an_unknown_checkout_request(caller: DarajaCaller) -> None:
    token = caller.token()
    response = caller.query(token, "ws_CO_000000000000000000")
    assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid CheckoutRequestID")


def test_query_with_a_wrong_password(caller: DarajaCaller) -> None:
    token = caller.token()
    body = {
        "BusinessShortCode": DEFAULT_SHORTCODE,
        "Password": password(DEFAULT_SHORTCODE, "nope", "20240101120000"),
        "Timestamp": "20240101120000",
        "CheckoutRequestID": "ws_CO_1",
    }
    response = caller.http.post(
        "/mpesa/stkpushquery/v1/query", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert_daraja_error(response, 500, "500.001.1001", "Wrong credentials")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/mpesa/stkpush/v1/processrequest"), ("POST", "/mpesa/c2b/v1/registerurl")],
)
def test_unknown_routes_answer_like_apigee(caller: DarajaCaller, method: str, path: str) -> None:
    response = caller.http.request(method, path)
    assert response.status_code == 404
    fault = response.json()["fault"]
    assert path in fault["faultstring"]
    assert fault["detail"]["errorcode"] == "messaging.adaptors.http.flow.ApplicationNotFound"


def test_aggressive_query_polling_meets_spike_arrest() -> None:
    with (
        running_simulator(min_query_interval_s=30.0) as sim,
        httpx.Client(base_url=sim.base_url) as http,
    ):
        caller = DarajaCaller(http)
        token = caller.token()
        checkout = caller.push(token, caller.push_body(PHONE, CALLBACK)).json()["CheckoutRequestID"]
        assert caller.query(token, checkout).json()["errorCode"] == "500.001.1001"
        too_soon = caller.query(token, checkout)
        assert_daraja_error(too_soon, 500, "500.003.02", "Spike Arrest Violation")


def test_nan_is_not_json_and_the_log_stays_readable(caller: DarajaCaller) -> None:
    token = caller.token()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    response = caller.http.post(PUSH, content=b'{"Amount": NaN}', headers=headers)
    assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid BusinessShortCode")
    assert caller.http.get("/sim/requests").status_code == 200
