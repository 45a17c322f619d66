"""Every route that reads JSON answers hostile bodies and queries with a 4xx and changes nothing.

Unknown extra fields are the one case that must be accepted and ignored.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bucket_desktop.services.sealing import seal
from server_stub.daraja_sim.testing import FAST_TIMINGS, running_simulator
from server_stub.operations import admin
from server_stub.operations.settings import DEFAULT_JSON_CAP
from tests.server_stub.bad_bodies import BadBody, generic_bad_bodies, post, refusal_problems
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.inprocess import (
    InProcessRelay,
    as_bytes,
    new_provider,
    relay_in_process,
    relay_settings,
    seed_pushes,
)


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[InProcessRelay]:
    """An in-process relay on a fresh store."""
    async with relay_in_process(relay_settings(tmp_path)) as running:
        yield running


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
            response = await post(relay.client, path, case, method)
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
