"""Bad input gets a clear 4xx and changes nothing (in-process app, real SQLite file)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_stub.api.state import RelayServices
from server_stub.app import create_app
from server_stub.operations import admin
from server_stub.operations.settings import RelaySettings
from server_stub.security.tokens import new_token, token_hash
from server_stub.store.records import NewPush
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.stores import active

GOOD_CALLBACK = {
    "Body": {
        "stkCallback": {
            "MerchantRequestID": "29115-34620561-1",
            "CheckoutRequestID": "ws_CO_191220191020363925",
            "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
            "CallbackMetadata": {
                "Item": [
                    {"Name": "Amount", "Value": 1.00},
                    {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                    {"Name": "Balance"},
                    {"Name": "TransactionDate", "Value": 20191219102115},
                    {"Name": "PhoneNumber", "Value": 254708374149},
                ]
            },
        }
    }
}


@dataclass
class Harness:
    """The in-process app, its services, a provider and a pending push."""

    client: httpx.AsyncClient
    services: RelayServices
    owner_token: str
    callback_path: str

    def headers(self) -> dict[str, str]:
        """The owner's auth header."""
        return {"Authorization": f"Token {self.owner_token}"}


@pytest.fixture
def caught_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record of the test, at DEBUG."""
    caplog.set_level(logging.DEBUG)
    yield caplog


@pytest.fixture
async def harness(tmp_path: Path, caught_logs: pytest.LogCaptureFixture) -> AsyncIterator[Harness]:
    """An app on a fresh database with one provider and one pending push of KES 1."""
    database = tmp_path / "relay.db"
    settings = RelaySettings(
        database_path=database, database_dsn=active().dsn_for(database), callback_max_bytes=4096
    )
    created = await admin.create_provider(settings, "Inputs Net")
    await admin.set_credentials(
        settings, created["provider_id"], json.dumps(PAYBILL_CREDENTIALS).encode()
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services: RelayServices = app.state.relay
        token = new_token()
        await _pending_push(services, created["provider_id"], token)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
            yield Harness(
                client,
                services,
                created["owner_token"],
                f"/payments/callback/{created['provider_id']}/{token}/",
            )
    text = "\n".join(record.getMessage() for record in caught_logs.records)
    for secret in (created["owner_token"], created["attendant_token"], token):
        assert secret not in text
    for name in ("consumer_key", "consumer_secret", "passkey"):
        assert PAYBILL_CREDENTIALS[name] not in text


async def _pending_push(services: RelayServices, provider_id: int, token: str) -> None:
    reservation = await services.store.reserve_push(
        NewPush(provider_id, token_hash(token), None, "254708374149", 1, "REF", "WiFi", 0.0),
        guard_since=0.0,
    )
    assert reservation.created is not None
    await services.store.confirm_push(
        reservation.created.id,
        checkout_request_id="ws_CO_191220191020363925",
        merchant_request_id="29115-34620561-1",
        first_query_at=10**12,
        now=0.0,
    )


def _with(path: list[str], value: Any) -> bytes:
    body = json.loads(json.dumps(GOOD_CALLBACK))
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is _MISSING:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(body).encode()


_MISSING = object()
CALLBACK = ["Body", "stkCallback"]
BAD_CALLBACKS: dict[str, tuple[bytes, int]] = {
    "empty body": (b"", 400),
    "not json": (b"ResultCode=0", 400),
    "top-level array": (b"[1, 2]", 400),
    "top-level number": (b"0", 400),
    "missing Body": (b"{}", 400),
    "missing stkCallback": (b'{"Body": {}}', 400),
    "missing CheckoutRequestID": (_with([*CALLBACK, "CheckoutRequestID"], _MISSING), 400),
    "missing ResultCode": (_with([*CALLBACK, "ResultCode"], _MISSING), 400),
    "ResultCode as string 0": (_with([*CALLBACK, "ResultCode"], "0"), 400),
    "ResultCode true": (_with([*CALLBACK, "ResultCode"], True), 400),
    "ResultCode 1.5": (_with([*CALLBACK, "ResultCode"], 1.5), 400),
    "ResultCode null": (_with([*CALLBACK, "ResultCode"], None), 400),
    "paid without metadata": (_with([*CALLBACK, "CallbackMetadata"], _MISSING), 400),
    "ResultCode 1e309": (
        _with([*CALLBACK, "ResultCode"], 7).replace(b'"ResultCode": 7', b'"ResultCode": 1e309'),
        400,
    ),
    "duplicate ResultCode": (
        _with([*CALLBACK, "ResultCode"], 1).replace(
            b'"ResultCode": 1', b'"ResultCode": 1, "ResultCode": 0'
        ),
        400,
    ),
    "NaN": (_with([*CALLBACK, "ResultCode"], 7).replace(b": 7", b": NaN"), 400),
    "Infinity": (_with([*CALLBACK, "ResultCode"], 7).replace(b": 7", b": Infinity"), 400),
    "3000-digit number (cap is 4 KB here)": (
        _with([*CALLBACK, "ResultCode"], 7).replace(b": 7", b": " + b"9" * 3000),
        400,
    ),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, 413),
    "invalid utf-8": (b'{"Body": "\xff\xfe"}', 400),
    "byte order mark": (b"\xef\xbb\xbf" + _with([*CALLBACK, "ResultCode"], 0), 400),
    "lone surrogate": (
        _with([*CALLBACK, "ResultDesc"], "SURR").replace(b'"SURR"', b'"\\ud800"'),
        400,
    ),
    "deep nesting within the size cap": (b"[" * 1000 + b"]" * 1000, 400),
    "NUL character": (_with([*CALLBACK, "ResultDesc"], "a\x00b"), 400),
    "very long string": (_with([*CALLBACK, "ResultDesc"], "x" * 3000), 400),
}


@pytest.mark.parametrize("case", list(BAD_CALLBACKS))
async def test_bad_callbacks_get_4xx_and_are_recorded_not_applied(
    harness: Harness, case: str
) -> None:
    body, status = BAD_CALLBACKS[case]
    response = await harness.client.post(
        harness.callback_path, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"] and error["code"]
    if case == "lone surrogate":
        assert "surrogate" in error["message"]
    payment = await harness.services.store.get_payment(1, "ws_CO_191220191020363925")
    assert payment is not None and payment.status == "pending"


async def test_wrong_content_type_is_415(harness: Harness) -> None:
    response = await harness.client.post(
        harness.callback_path,
        content=json.dumps(GOOD_CALLBACK),
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415


async def test_oversized_body_is_refused_before_it_is_all_read(harness: Harness) -> None:
    sent = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            sent.append(1)
            yield b" " * 1024

    response = await harness.client.post(
        harness.callback_path, content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert len(sent) < 100


async def test_good_callback_applies_once_and_extra_fields_are_ignored(harness: Harness) -> None:
    body = json.loads(json.dumps(GOOD_CALLBACK))
    body["Body"]["stkCallback"]["SomethingNew"] = {"nested": [1, 2]}
    for _ in range(2):
        response = await harness.client.post(harness.callback_path, json=body)
        assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    payment = await harness.services.store.get_payment(1, "ws_CO_191220191020363925")
    assert payment is not None
    assert (payment.status, payment.mpesa_receipt_number) == ("paid", "NLJ7RT61SV")


async def test_other_amount_is_recorded_not_applied(harness: Harness) -> None:
    body = json.loads(json.dumps(GOOD_CALLBACK))
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][0]["Value"] = 1000
    response = await harness.client.post(harness.callback_path, json=body)
    assert response.status_code == 200
    payment = await harness.services.store.get_payment(1, "ws_CO_191220191020363925")
    assert payment is not None and payment.status == "pending"


async def test_callback_for_an_unknown_push_is_accepted_and_ignored(harness: Harness) -> None:
    response = await harness.client.post(
        "/payments/callback/1/" + "x" * 43 + "/", json=GOOD_CALLBACK
    )
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    payment = await harness.services.store.get_payment(1, "ws_CO_191220191020363925")
    assert payment is not None and payment.status == "pending"


BAD_JSON_BODIES: dict[str, tuple[bytes, str, int]] = {
    "empty": (b"", "application/json", 400),
    "array": (b"[]", "application/json", 400),
    "NaN amount": (b'{"phone_number": "0712345678", "amount": NaN}', "application/json", 400),
    "duplicate keys": (b'{"amount": 1, "amount": 2}', "application/json", 400),
    "wrong content type": (b"{}", "text/plain", 415),
    "invalid utf-8": (b'{"phone_number": "\xff"}', "application/json", 400),
}


@pytest.mark.parametrize("case", list(BAD_JSON_BODIES))
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/payments/bucket/initiate/"),
        ("POST", "/payments/bucket/status/"),
        ("PUT", "/payments/bucket/credentials/"),
    ],
)
async def test_bad_json_bodies_get_4xx(harness: Harness, case: str, method: str, path: str) -> None:
    body, content_type, status = BAD_JSON_BODIES[case]
    response = await harness.client.request(
        method, path, content=body, headers={**harness.headers(), "Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["success"] is False


@pytest.mark.parametrize(
    "header", [None, "", "Token", "Bearer abc", "Token " + "a" * 43, "Token " + "a" * 500]
)
async def test_missing_or_unknown_tokens_are_401(harness: Harness, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = await harness.client.get("/payments/bucket/payments/", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("not_authenticated", "invalid_token")


@pytest.mark.parametrize(
    "params", [{"after": "-1"}, {"after": "abc"}, {"wait": "31"}, {"limit": "0"}, {"wait": "nan"}]
)
async def test_bad_feed_parameters_are_400(harness: Harness, params: dict[str, str]) -> None:
    response = await harness.client.get(
        "/payments/bucket/payments/", params=params, headers=harness.headers()
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] in params


async def test_unknown_route_and_method_use_the_error_envelope(harness: Harness) -> None:
    missing = await harness.client.get("/nowhere")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    wrong = await harness.client.delete("/payments/bucket/initiate/")
    assert wrong.status_code == 405 and wrong.json()["success"] is False


async def test_openapi_document_describes_every_route(harness: Harness) -> None:
    document = (await harness.client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in (
        "/payments/bucket/initiate/",
        "/payments/bucket/status/",
        "/payments/bucket/test-credentials/",
        "/payments/bucket/credentials/",
        "/payments/bucket/relay-key/",
        "/payments/bucket/payments/",
        "/payments/callback/{provider_id}/{token}/",
        "/healthz",
    ):
        assert path in paths
    initiate = paths["/payments/bucket/initiate/"]["post"]
    schema = initiate["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["phone_number"]
    assert schema["anyOf"] == [
        {"required": ["amount", "account_reference", "transaction_desc"]},
        {"required": ["plan_id"]},
    ]
    assert "409" in initiate["responses"] and "200" in initiate["responses"]


async def test_healthz_answers_a_nonce_once(harness: Harness) -> None:
    nonce = await harness.services.nonces.issue()
    first = (await harness.client.get("/healthz", params={"nonce": nonce})).json()
    second = (await harness.client.get("/healthz", params={"nonce": nonce})).json()
    assert (first["status"], first["nonce_ok"], second["nonce_ok"]) == ("ok", True, False)


async def test_overlong_idempotency_key_names_the_header(harness: Harness) -> None:
    response = await harness.client.post(
        "/payments/bucket/initiate/",
        json={"phone_number": "0712345678", "amount": 1, "account_reference": "A"},
        headers={**harness.headers(), "Idempotency-Key": "k" * 101},
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "idempotency-key"


async def test_non_ascii_digits_in_the_provider_path_are_an_unknown_push(harness: Harness) -> None:
    response = await harness.client.post("/payments/callback/%C2%B2/token/", json=GOOD_CALLBACK)
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
