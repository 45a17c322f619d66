"""Callback source allow-list, with X-Forwarded-For believed only from trusted proxies."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import httpx
import pytest

from server_stub.app import create_app
from server_stub.operations.settings import RelaySettings
from server_stub.payments.callbacks import client_address
from tests.server_stub.stores import active

SAFARICOM = "196.201.214.200"
PROXY = (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("10.0.0.5", f"{SAFARICOM}", SAFARICOM),
        ("10.0.0.5", f"6.6.6.6, {SAFARICOM}, 10.0.0.9", SAFARICOM),
        ("8.8.8.8", SAFARICOM, "8.8.8.8"),
        ("10.0.0.5", None, "10.0.0.5"),
        ("10.0.0.5", "not-an-ip", "not-an-ip"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, expected: str) -> None:
    assert client_address(peer, forwarded, PROXY) == expected


async def test_allow_list_refuses_other_sources(tmp_path: Path) -> None:
    settings = RelaySettings(
        database_path=tmp_path / "relay.db",
        database_dsn=active().dsn_for(tmp_path / "relay.db"),
        callback_allowed_ips=(ipaddress.ip_network(f"{SAFARICOM}/32"),),
        trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
    )
    app = create_app(settings)
    callback = {"MerchantRequestID": "m", "CheckoutRequestID": "ws_1", "ResultCode": 1032}
    body = {"Body": {"stkCallback": callback}}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
            refused = await client.post("/payments/callback/1/token/", json=body)
            spoofed = await client.post(
                "/payments/callback/1/token/",
                json=body,
                headers={"X-Forwarded-For": f"{SAFARICOM}, 9.9.9.9"},
            )
            allowed = await client.post(
                "/payments/callback/1/token/", json=body, headers={"X-Forwarded-For": SAFARICOM}
            )
        outcomes = app.state.relay.store.raw_callback_outcomes()
    assert (refused.status_code, spoofed.status_code, allowed.status_code) == (403, 403, 200)
    assert [outcome for _, outcome in outcomes] == [
        "source_refused",
        "source_refused",
        "unknown_push",
    ]
