"""Every kind of bad body gets a 4xx JSON error, never a 5xx or a traceback, and changes nothing.

One table of hostile bodies (issue 5) is posted to the callback route and to every route that
reads a JSON body; unknown extra fields are the one case that must be accepted and ignored.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bucket_desktop.services.sealing import seal
from server_stub import admin
from server_stub.daraja_sim.testing import FAST_TIMINGS, running_simulator
from server_stub.settings import DEFAULT_CALLBACK_CAP, DEFAULT_JSON_CAP
from server_stub.testing import running_relay
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.inprocess import (
    InProcessRelay,
    SeededPush,
    as_bytes,
    new_provider,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)

JSON = "application/json"


@dataclass(frozen=True)
class BadBody:
    """One hostile request body and the content type it is sent with."""

    name: str
    body: bytes
    content_type: str = JSON


def _nest(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def generic_bad_bodies(valid: dict[str, Any], cap: int) -> list[BadBody]:
    """Bodies that are bad whatever the route: framing, encoding and JSON-level tricks."""
    text = as_bytes(valid)
    first_key = next(iter(valid))
    return [
        BadBody("empty body", b""),
        BadBody("whitespace only", b"  \n "),
        BadBody("not JSON", b"hello there"),
        BadBody("truncated JSON", text[:-3]),
        BadBody("JSON array", b"[" + text + b"]"),
        BadBody("JSON number", b"42"),
        BadBody("JSON string", b'"Body"'),
        BadBody("JSON null", b"null"),
        BadBody("wrong content type (text/plain)", text, "text/plain"),
        BadBody("form content type", b"a=1&b=2", "application/x-www-form-urlencoded"),
        BadBody("no content type", text, ""),
        BadBody("over the size cap", b'{"x": "' + b"a" * cap + b'"}'),
        BadBody("NaN", text[:-1] + b',"n": NaN}'),
        BadBody("Infinity", text[:-1] + b',"n": Infinity}'),
        BadBody("-Infinity", text[:-1] + b',"n": -Infinity}'),
        BadBody("5,000-digit number", text[:-1] + b',"n": ' + b"9" * 5000 + b"}"),
        BadBody("1e309", text[:-1] + b',"n": 1e309}'),
        BadBody("100,000-deep nesting", text[:-1] + b',"n": ' + _nest(100_000) + b"}"),
        BadBody("invalid UTF-8", text[:-1] + b',"n": "\xff\xfe\xc3"}'),
        BadBody("byte order mark", b"\xef\xbb\xbf" + text),
        BadBody("lone surrogate escape", text[:-1] + b',"n": "\\ud800"}'),
        BadBody("lone surrogate in a key", text[:-1] + b',"\\udfff": 1}'),
        BadBody("NUL escape", text[:-1] + b',"n": "a\\u0000b"}'),
        BadBody("raw NUL byte", text[:-1] + b',"n": "a\x00b"}'),
        BadBody("very long string", text[:-1] + b',"n": "' + b"x" * 60_000 + b'"}'),
        BadBody(
            "duplicate top-level key",
            b"{" + json.dumps(first_key).encode() + b": 1, " + text[1:],
        ),
    ]


# --- the callback route -------------------------------------------------------------------------


def _callback_variants(push: SeededPush) -> list[BadBody]:
    good = paid_callback(push, "RCP0000001")
    cases = generic_bad_bodies(good, DEFAULT_CALLBACK_CAP)

    def edit(name: str, change: Any) -> None:
        data = json.loads(as_bytes(good))
        change(data["Body"]["stkCallback"], data)
        cases.append(BadBody(name, as_bytes(data)))

    for value_name, value in (
        ('ResultCode "0"', "0"),
        ("ResultCode true", True),
        ("ResultCode 1.5", 1.5),
        ("ResultCode null", None),
        ('ResultCode ""', ""),
        ("ResultCode list", [0]),
    ):
        edit(value_name, lambda cb, _d, v=value: cb.__setitem__("ResultCode", v))
    cases.append(
        BadBody(
            "ResultCode 1e309", as_bytes(good).replace(b'"ResultCode":0', b'"ResultCode":1e309')
        )
    )
    cases.append(
        BadBody(
            "duplicate ResultCode (1 then 0)",
            as_bytes(good).replace(b'"ResultCode":0', b'"ResultCode":1,"ResultCode":0'),
        )
    )
    cases.append(BadBody("no Body", b'{"body": {}}'))
    edit("Body not an object", lambda _cb, d: d.__setitem__("Body", []))
    edit("no stkCallback", lambda _cb, d: d["Body"].pop("stkCallback"))
    for name in ("CheckoutRequestID", "MerchantRequestID", "ResultCode"):
        edit(f"no {name}", lambda cb, _d, n=name: cb.pop(n))
    edit("CheckoutRequestID a number", lambda cb, _d: cb.__setitem__("CheckoutRequestID", 12))
    edit("paid without CallbackMetadata", lambda cb, _d: cb.pop("CallbackMetadata"))
    edit("paid without Item", lambda cb, _d: cb["CallbackMetadata"].pop("Item"))
    edit("Item not a list", lambda cb, _d: cb["CallbackMetadata"].__setitem__("Item", {}))
    edit("item without Name", lambda cb, _d: cb["CallbackMetadata"]["Item"].append({"Value": 1}))
    for item in ("Amount", "MpesaReceiptNumber"):
        edit(
            f"paid without {item}",
            lambda cb, _d, i=item: cb["CallbackMetadata"].__setitem__(
                "Item", [x for x in cb["CallbackMetadata"]["Item"] if x["Name"] != i]
            ),
        )
    edit("Amount as text", lambda cb, _d: cb["CallbackMetadata"]["Item"][0].update(Value="10"))
    edit("Amount true", lambda cb, _d: cb["CallbackMetadata"]["Item"][0].update(Value=True))
    edit("Amount 10.5", lambda cb, _d: cb["CallbackMetadata"]["Item"][0].update(Value=10.5))
    edit(
        "receipt with spaces", lambda cb, _d: cb["CallbackMetadata"]["Item"][1].update(Value="A B")
    )
    edit("ResultDesc a list", lambda cb, _d: cb.__setitem__("ResultDesc", ["x"]))
    return cases


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[InProcessRelay]:
    """An in-process relay on a fresh store."""
    async with relay_in_process(relay_settings(tmp_path)) as running:
        yield running


async def _payment(relay: InProcessRelay, push: SeededPush) -> dict[str, Any]:
    record = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
    assert record is not None
    return {
        "status": record.status.value,
        "receipt": record.mpesa_receipt_number,
        "seq": record.seq,
    }


def refusal_problems(case: str, response: httpx.Response) -> list[str]:
    """What is wrong with a response to a bad body (empty when it is a proper refusal)."""
    problems = []
    if not 400 <= response.status_code < 500:
        problems.append(f"{case}: status {response.status_code}")
    if "Traceback" in response.text or 'File "' in response.text:
        problems.append(f"{case}: traceback in the answer")
    try:
        body = response.json()
    except ValueError:
        return [*problems, f"{case}: answer is not JSON: {response.text[:80]!r}"]
    error = body.get("error") if isinstance(body, dict) else None
    if body.get("success") is not False or not isinstance(error, dict):
        problems.append(f"{case}: not the error shape: {body!r:.120}")
    elif not (isinstance(error.get("code"), str) and isinstance(error.get("message"), str)):
        problems.append(f"{case}: error without code and message: {error!r:.120}")
    elif len(error["message"]) > 300 or not error["message"].strip():
        problems.append(f"{case}: message not a readable sentence: {error['message'][:80]!r}")
    return problems


async def _post(client: httpx.AsyncClient, path: str, case: BadBody, method: str = "POST") -> Any:
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    return await client.request(method, path, content=case.body, headers=headers)


async def test_bad_callbacks_are_refused_stored_and_never_applied(relay: InProcessRelay) -> None:
    provider = await new_provider(relay.settings)
    [push] = await seed_pushes(relay.store, provider["provider_id"], 1)
    before = await _payment(relay, push)
    cases = _callback_variants(push)
    problems: list[str] = []
    for case in cases:
        response = await _post(relay.client, push.callback_path, case)
        problems += refusal_problems(case.name, response)
    assert not problems, "\n".join(problems)
    assert await _payment(relay, push) == before
    outcomes = [outcome for _, outcome in relay.store.raw_callback_outcomes()]
    assert len(outcomes) == len(cases)
    assert set(outcomes) == {"malformed"}


async def test_callback_with_unknown_extra_fields_is_accepted(relay: InProcessRelay) -> None:
    provider = await new_provider(relay.settings)
    [push] = await seed_pushes(relay.store, provider["provider_id"], 1)
    body = paid_callback(push, "RCPEXTRA01")
    body["Signature"] = {"nested": [1, 2, {"deep": None}]}
    body["Body"]["stkCallback"]["Unexpected"] = "kept out"
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"].append({"Name": "New", "Value": 1})
    response = await relay.client.post(
        push.callback_path, content=as_bytes(body), headers={"Content-Type": JSON}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert (await _payment(relay, push))["status"] == "paid"


async def test_callback_to_malformed_paths_is_a_clear_refusal(relay: InProcessRelay) -> None:
    provider = await new_provider(relay.settings)
    [push] = await seed_pushes(relay.store, provider["provider_id"], 1)
    body = as_bytes(paid_callback(push, "RCPPATH001"))
    paths = [
        f"/payments/callback/{provider['provider_id']}/",
        "/payments/callback/",
        f"/payments/callback/{'9' * 40}/{push.token}/",
        f"/payments/callback/abc/{push.token}/",
        f"/payments/callback/{provider['provider_id']}/{'x' * 5000}/",
        f"/payments/callback/{provider['provider_id']}/%00%ff/",
    ]
    problems: list[str] = []
    for path in paths:
        response = await relay.client.post(path, content=body, headers={"Content-Type": JSON})
        if response.status_code >= 500 or "Traceback" in response.text:
            problems.append(f"{path[:60]}: {response.status_code}")
    assert not problems, problems
    assert (await _payment(relay, push))["status"] == "pending"


# --- the JSON routes ----------------------------------------------------------------------------


def _missing_and_mistyped(valid: dict[str, Any]) -> list[BadBody]:
    cases = []
    for name in valid:
        without = {k: v for k, v in valid.items() if k != name}
        cases.append(BadBody(f"missing {name}", as_bytes(without)))
        for label, wrong in (("null", None), ("a list", [valid[name]]), ("an object", {})):
            cases.append(BadBody(f"{name} {label}", as_bytes({**valid, name: wrong})))
    return cases


def _json_route_cases(valid: dict[str, Any]) -> list[BadBody]:
    return generic_bad_bodies(valid, DEFAULT_JSON_CAP) + _missing_and_mistyped(valid)


async def _route_table(
    relay: InProcessRelay, provider: dict[str, Any]
) -> list[tuple[str, str, Any]]:
    key = (await relay.client.get("/payments/bucket/relay-key/")).json()
    sealed = seal(key["public_key"], json.dumps(PAYBILL_CREDENTIALS).encode())
    return [
        (
            "POST",
            "/payments/bucket/initiate/",
            {
                "phone_number": "0708374149",
                "amount": 10,
                "account_reference": "HOTSPOT1",
                "transaction_desc": "WiFi",
            },
        ),
        ("POST", "/payments/bucket/status/", {"checkout_request_id": "ws_CO_1_000000"}),
        (
            "PUT",
            "/payments/bucket/credentials/",
            {"sealed": sealed, "key_fingerprint": key["fingerprint"]},
        ),
    ]


async def test_bad_bodies_on_json_routes_are_refused_and_change_nothing(
    relay: InProcessRelay,
) -> None:
    provider = await new_provider(relay.settings)
    relay.client.headers["Authorization"] = f"Token {provider['owner_token']}"
    await seed_pushes(relay.store, provider["provider_id"], 1, tag="ws_CO")
    problems: list[str] = []
    routes = await _route_table(relay, provider)
    for method, path, valid in routes:
        for case in _json_route_cases(valid):
            response = await _post(relay.client, path, case, method)
            problems += refusal_problems(f"{method} {path} {case.name}", response)
    assert not problems, "\n".join(problems)
    stored = await relay.store.get_provider(provider["provider_id"])
    assert stored is not None and stored.credentials is None
    assert len(await relay.store.payments_after(provider["provider_id"], 0, 100)) == 1


async def test_bad_query_strings_on_the_feed_are_refused(relay: InProcessRelay) -> None:
    provider = await new_provider(relay.settings)
    relay.client.headers["Authorization"] = f"Token {provider['attendant_token']}"
    queries = [
        "after=-1",
        "after=abc",
        "after=" + "9" * 5000,
        "after=1e309",
        "wait=NaN",
        "wait=inf",
        "wait=31",
        "wait=-1",
        "limit=0",
        "limit=100000",
        "limit=1.5",
        "after=%00",
        "afer=5",
        "after=1&after=2",
        "after=1&%00=1",
        "after=\udcff".encode("utf-8", "surrogateescape").decode("latin-1"),
    ]
    problems: list[str] = []
    for query in queries:
        response = await relay.client.get(f"/payments/bucket/payments/?{query}")
        problems += refusal_problems(query[:40], response)
    assert not problems, "\n".join(problems)


async def test_bad_authorization_headers_are_refused(relay: InProcessRelay) -> None:
    headers = [
        "",
        "Token",
        "Token ",
        "Bearer abc",
        "Token " + "a" * 5000,
        "Token a b c",
        "Token \u00e9\u00e9",
    ]
    problems: list[str] = []
    for value in headers:
        response = await relay.client.post(
            "/payments/bucket/status/",
            json={"checkout_request_id": "x"},
            headers={"Authorization": value.encode()},
        )
        problems += refusal_problems(f"Authorization {value[:20]!r}", response)
    assert not problems, "\n".join(problems)


# --- extra fields are ignored on JSON routes (a real push through the simulator) ----------------


@pytest.fixture
def simulator() -> Iterator[Any]:
    """The in-process Daraja simulator."""
    with running_simulator(**FAST_TIMINGS) as sim:
        yield sim


async def test_unknown_extra_fields_on_json_routes_are_ignored(
    tmp_path: Path, simulator: Any
) -> None:
    settings = relay_settings(tmp_path, daraja_base_url=simulator.base_url)
    async with relay_in_process(settings) as relay:
        provider = await new_provider(settings)
        await admin.set_credentials(
            settings, provider["provider_id"], json.dumps(PAYBILL_CREDENTIALS).encode()
        )
        relay.client.headers["Authorization"] = f"Token {provider['owner_token']}"
        pushed = await relay.client.post(
            "/payments/bucket/initiate/",
            json={
                "phone_number": "0708374149",
                "amount": 10,
                "account_reference": "HOTSPOT1",
                "transaction_desc": "WiFi",
                "currency": "KES",
                "meta": {"any": [1, 2]},
            },
        )
        assert pushed.status_code == 200, pushed.text
        checkout = pushed.json()["checkout_request_id"]
        status = await relay.client.post(
            "/payments/bucket/status/", json={"checkout_request_id": checkout, "verbose": True}
        )
        assert status.status_code == 200, status.text
        assert status.json()["checkout_request_id"] == checkout


# --- over-size bodies are refused before they are all read (a real server) ----------------------


def _raw_request(base_url: str, head: str, first_part: bytes) -> tuple[bytes, float]:
    """Send a request head and only part of its body; return the answer and seconds taken."""
    host, port = base_url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + first_part)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer, time.monotonic() - started


@pytest.fixture(scope="module")
def live_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A relay subprocess (uvicorn's real HTTP parsing in front of the app)."""
    env = {"RELAY_RECONCILE_FIRST_S": "3600", "RELAY_RECONCILE_UNTIL_S": "3600"}
    with running_relay(tmp_path_factory.mktemp("oversize"), env=env) as running:
        yield running
        assert "Traceback" not in running.log_text()


@pytest.mark.parametrize("path", ["/payments/callback/1/sometoken/", "/payments/bucket/status/"])
def test_declared_oversize_body_is_refused_before_it_is_sent(live_relay: Any, path: str) -> None:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
        "Authorization: Token nothing\r\nContent-Length: 50000000\r\n\r\n"
    )
    answer, _ = _raw_request(live_relay.base_url, head, b'{"Body": "' + b"a" * 1000)
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 4"), status_line


def test_chunked_oversize_body_is_refused_once_past_the_cap(live_relay: Any) -> None:
    head = (
        "POST /payments/callback/1/sometoken/ HTTP/1.1\r\nHost: relay\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"a" * 16_384
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    # A little past the cap, and the stream is never finished: only a server that stops
    # reading at the cap can answer.
    body = b"".join([chunk] * (DEFAULT_CALLBACK_CAP // len(piece) + 2))
    answer, _ = _raw_request(live_relay.base_url, head, body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
