"""The callback route answers every hostile body with a 4xx, stores it, and never applies it.

The generic table (tests/server_stub/bad_bodies.py) plus the callback's own traps: ResultCode as
"0", true, 1.5, null, 1e309 or given twice, and every missing or mistyped level.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server_stub.operations.settings import DEFAULT_CALLBACK_CAP
from tests.server_stub.bad_bodies import BadBody, generic_bad_bodies, post, refusal_problems
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


# --- the callback route -------------------------------------------------------------------------


def _callback_variants(push: SeededPush) -> list[BadBody]:
    good = paid_callback(push, "RCP0000001")
    return (
        generic_bad_bodies(good, DEFAULT_CALLBACK_CAP)
        + _result_code_cases(good)
        + _shape_cases(good)
    )


def _edited(good: dict[str, Any], name: str, change: Any) -> BadBody:
    data = json.loads(as_bytes(good))
    change(data["Body"]["stkCallback"], data)
    return BadBody(name, as_bytes(data))


def _result_code_cases(good: dict[str, Any]) -> list[BadBody]:
    raw = as_bytes(good)
    cases = [
        _edited(good, label, lambda cb, _d, v=value: cb.__setitem__("ResultCode", v))
        for label, value in (
            ('ResultCode "0"', "0"),
            ("ResultCode true", True),
            ("ResultCode 1.5", 1.5),
            ("ResultCode null", None),
            ('ResultCode ""', ""),
            ("ResultCode list", [0]),
        )
    ]
    return [
        *cases,
        BadBody("ResultCode 1e309", raw.replace(b'"ResultCode":0', b'"ResultCode":1e309')),
        BadBody(
            "duplicate ResultCode (1 then 0)",
            raw.replace(b'"ResultCode":0', b'"ResultCode":1,"ResultCode":0'),
        ),
    ]


def _without_item(name: str) -> Any:
    def change(cb: dict[str, Any], _data: dict[str, Any]) -> None:
        items = cb["CallbackMetadata"]["Item"]
        cb["CallbackMetadata"]["Item"] = [item for item in items if item["Name"] != name]

    return change


def _shape_cases(good: dict[str, Any]) -> list[BadBody]:
    def item(index: int, value: Any) -> Any:
        return lambda cb, _d: cb["CallbackMetadata"]["Item"][index].update(Value=value)

    edits = [
        ("Body not an object", lambda _cb, d: d.__setitem__("Body", [])),
        ("no stkCallback", lambda _cb, d: d["Body"].pop("stkCallback")),
        *[
            (f"no {name}", lambda cb, _d, n=name: cb.pop(n))
            for name in ("CheckoutRequestID", "MerchantRequestID", "ResultCode")
        ],
        ("CheckoutRequestID a number", lambda cb, _d: cb.__setitem__("CheckoutRequestID", 12)),
        ("paid without CallbackMetadata", lambda cb, _d: cb.pop("CallbackMetadata")),
        ("paid without Item", lambda cb, _d: cb["CallbackMetadata"].pop("Item")),
        ("Item not a list", lambda cb, _d: cb["CallbackMetadata"].__setitem__("Item", {})),
        ("item without Name", lambda cb, _d: cb["CallbackMetadata"]["Item"].append({"Value": 1})),
        ("paid without Amount", _without_item("Amount")),
        ("paid without MpesaReceiptNumber", _without_item("MpesaReceiptNumber")),
        ("Amount as text", item(0, "10")),
        ("Amount true", item(0, True)),
        ("Amount 10.5", item(0, 10.5)),
        ("receipt with spaces", item(1, "A B")),
        ("ResultDesc a list", lambda cb, _d: cb.__setitem__("ResultDesc", ["x"])),
    ]
    return [BadBody("no Body", b'{"body": {}}')] + [
        _edited(good, name, change) for name, change in edits
    ]


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


async def test_bad_callbacks_are_refused_stored_and_never_applied(relay: InProcessRelay) -> None:
    provider = await new_provider(relay.settings)
    [push] = await seed_pushes(relay.store, provider["provider_id"], 1)
    before = await _payment(relay, push)
    cases = _callback_variants(push)
    problems: list[str] = []
    for case in cases:
        response = await post(relay.client, push.callback_path, case)
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
