"""Abuse limits: token guessing, push floods, forged X-Forwarded-For, the callback allow-list."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_stub.daraja_sim.testing import FAST_TIMINGS, running_simulator
from server_stub.operations import admin
from server_stub.operations.settings import DEFAULT_PUSHES_PER_MINUTE as STK_PUSHES_PER_MINUTE
from server_stub.security.rate_limit import FAILED_TOKENS_PER_MINUTE
from server_stub.security.sliding_window import SlidingWindow
from server_stub.security.tokens import token_hash
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.inprocess import (
    as_bytes,
    new_provider,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)
from tests.server_stub.stores import running_relay

PROXY = "10.0.0.1"
SAFARICOM = "196.201.214.200"
JSON = {"Content-Type": "application/json"}


def _networks(*addresses: str) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(address) for address in addresses)


async def _guess(client: httpx.AsyncClient, forwarded_for: str | None = None) -> int:
    headers = {"Authorization": "Token wrong-token-guess-0000000000"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    response = await client.get("/payments/bucket/payments/", headers=headers)
    return response.status_code


async def test_too_many_wrong_tokens_from_one_address_get_429(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings, address="203.0.113.7") as relay:
        owner = (await new_provider(settings))["owner_token"]
        codes = [await _guess(relay.client) for _ in range(FAILED_TOKENS_PER_MINUTE)]
        assert codes == [401] * FAILED_TOKENS_PER_MINUTE
        locked = await relay.client.get(
            "/payments/bucket/payments/", headers={"Authorization": "Token another-guess-0000"}
        )
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "too_many_attempts"
        assert "seconds" in locked.json()["error"]["message"]
        # The attendant behind the same public address as the guesser keeps working.
        valid = await relay.client.get(
            "/payments/bucket/payments/", headers={"Authorization": f"Token {owner}"}
        )
        assert valid.status_code == 200
        async with relay.client_from("203.0.113.8") as neighbour:
            assert await _guess(neighbour) == 401


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path, trusted_proxies=_networks(PROXY))
    async with relay_in_process(settings, address="198.51.100.9") as relay:
        # A guesser rotating forged X-Forwarded-For values is still one address.
        codes = [await _guess(relay.client, f"192.0.2.{n}") for n in range(12)]
    assert codes[:FAILED_TOKENS_PER_MINUTE] == [401] * FAILED_TOKENS_PER_MINUTE
    assert codes[FAILED_TOKENS_PER_MINUTE:] == [429, 429]


async def test_forwarded_for_from_a_trusted_proxy_separates_clients(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path, trusted_proxies=_networks(PROXY))
    async with relay_in_process(settings, address=PROXY) as relay:
        guesses = [await _guess(relay.client, "192.0.2.50") for _ in range(11)]
        assert guesses[-1] == 429
        # Another client behind the same proxy keeps its own budget, and so does the proxy.
        assert await _guess(relay.client, "192.0.2.51") == 401
        # The hop nearest the proxy counts: a client cannot prepend a fresh address.
        assert await _guess(relay.client, "1.1.1.1, 192.0.2.50") == 429


def test_sliding_window_forgets_old_events() -> None:
    now = [0.0]
    window = SlidingWindow(2, 60.0, clock=lambda: now[0], max_keys=2)
    window.record("a")
    window.record("a")
    assert window.wait_s("a") == pytest.approx(60.0)
    now[0] = 30.0
    assert window.wait_s("a") == pytest.approx(30.0)
    now[0] = 60.5
    assert window.wait_s("a") == 0.0
    for key in ("b", "c", "d"):
        window.record(key)
    assert window.wait_s("a") == 0.0  # the stalest key was dropped, not grown without bound


def test_sliding_window_honours_a_lower_limit_for_one_key() -> None:
    now = [0.0]
    window = SlidingWindow(5, 60.0, clock=lambda: now[0])
    for second in (0.0, 10.0, 20.0):
        now[0] = second
        window.record("a")
    assert window.wait_s("a") == 0.0
    # Under a limit of 2 the key may act again when the oldest of its last two events ages out.
    assert window.wait_s("a", 2) == pytest.approx(10.0 + 60.0 - 20.0)


@pytest.fixture
def simulator() -> Iterator[Any]:
    """The in-process Daraja simulator."""
    with running_simulator(**FAST_TIMINGS) as sim:
        yield sim


async def test_stk_pushes_are_limited_per_provider(tmp_path: Path, simulator: Any) -> None:
    settings = relay_settings(tmp_path, daraja_base_url=simulator.base_url)
    async with relay_in_process(settings) as relay:
        busy, quiet = await new_provider(settings, "Busy"), await new_provider(settings, "Quiet")
        for provider in (busy, quiet):
            credentials = json.dumps(PAYBILL_CREDENTIALS).encode()
            await admin.set_credentials(settings, provider["provider_id"], credentials)
        codes = [
            await _push(relay.client, busy["attendant_token"], f"0712{n:06d}")
            for n in range(STK_PUSHES_PER_MINUTE + 2)
        ]
        assert codes[:STK_PUSHES_PER_MINUTE] == [200] * STK_PUSHES_PER_MINUTE
        assert codes[STK_PUSHES_PER_MINUTE:] == [429, 429]
        assert await _push(relay.client, quiet["attendant_token"], "0712999999") == 200
        sent = await asyncio.to_thread(simulator.request_log, "stk_push")
    assert len(sent) == STK_PUSHES_PER_MINUTE + 1


async def test_push_limit_is_a_setting_with_a_per_provider_override(
    tmp_path: Path, simulator: Any
) -> None:
    settings = relay_settings(tmp_path, daraja_base_url=simulator.base_url, pushes_per_minute=3)
    async with relay_in_process(settings) as relay:
        portal, shop = await new_provider(settings, "Portal"), await new_provider(settings, "Shop")
        for provider in (portal, shop):
            credentials = json.dumps(PAYBILL_CREDENTIALS).encode()
            await admin.set_credentials(settings, provider["provider_id"], credentials)
        # A busy captive portal gets more than the relay's default; the change needs no restart.
        raised = await admin.set_push_limit(settings, portal["provider_id"], 5)
        assert raised == {"provider_id": portal["provider_id"], "pushes_per_minute": 5}
        portal_codes = [
            await _push(relay.client, portal["attendant_token"], f"0713{n:06d}") for n in range(6)
        ]
        shop_codes = [
            await _push(relay.client, shop["attendant_token"], f"0714{n:06d}") for n in range(4)
        ]
        refused = await relay.client.post(
            "/payments/bucket/initiate/",
            json={"phone_number": "0714999999", "amount": 10},
            headers={"Authorization": f"Token {shop['attendant_token']}"},
        )
        # Back to the default: the portal's five pushes already exceed it.
        back = await admin.set_push_limit(settings, portal["provider_id"], None)
        after_reset = await _push(relay.client, portal["attendant_token"], "0713999999")
    assert portal_codes == [200] * 5 + [429]
    assert shop_codes == [200] * 3 + [429]
    assert refused.status_code == 429
    assert "More than 3 payment prompts" in refused.json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert back == {"provider_id": portal["provider_id"], "pushes_per_minute": 3}
    assert after_reset == 429


async def _push(client: httpx.AsyncClient, token: str, phone: str) -> int:
    response = await client.post(
        "/payments/bucket/initiate/",
        json={
            "phone_number": phone,
            "amount": 10,
            "account_reference": "HOTSPOT1",
            "transaction_desc": "WiFi",
        },
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status_code in (200, 429), response.text
    return response.status_code


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "accepted"),
    [
        (PROXY, SAFARICOM, True),  # Safaricom behind our proxy
        (PROXY, "203.0.113.9", False),  # someone else behind our proxy
        (PROXY, f"{SAFARICOM}, 203.0.113.9", False),  # forged first hop, real last hop
        ("203.0.113.9", SAFARICOM, False),  # forged header from outside
        (SAFARICOM, None, True),  # Safaricom straight to the relay
        (PROXY, None, False),  # the proxy itself is not Safaricom
    ],
)
async def test_callback_allow_list_behind_a_trusted_proxy(
    tmp_path: Path, peer: str, forwarded_for: str | None, accepted: bool
) -> None:
    settings = relay_settings(
        tmp_path, trusted_proxies=_networks(PROXY), callback_allowed_ips=_networks(SAFARICOM)
    )
    async with relay_in_process(settings, address=peer) as relay:
        provider = await new_provider(settings)
        [push] = await seed_pushes(relay.store, provider["provider_id"], 1)
        headers = dict(JSON)
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        body = as_bytes(paid_callback(push, "ALLOW00001"))
        response = await relay.client.post(push.callback_path, content=body, headers=headers)
        payment = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
        outcomes = relay.store.raw_callback_outcomes()
    assert payment is not None
    if accepted:
        assert response.status_code == 200
        assert payment.status.value == "paid"
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "source_refused"
        assert payment.status.value == "pending"
        assert [outcome for _, outcome in outcomes] == ["source_refused"]


def test_served_relay_ignores_forwarded_for_without_trusted_proxies(tmp_path: Path) -> None:
    # The real process: uvicorn must not rewrite the client address from a forged header.
    with running_relay(tmp_path) as relay:
        codes = [
            httpx.get(
                relay.base_url + "/payments/bucket/payments/",
                headers={
                    "Authorization": "Token wrong-token-guess-0000000000",
                    "X-Forwarded-For": f"192.0.2.{n}",
                },
                timeout=10,
            ).status_code
            for n in range(FAILED_TOKENS_PER_MINUTE + 1)
        ]
    assert codes == [401] * FAILED_TOKENS_PER_MINUTE + [429]


async def test_one_token_holds_a_bounded_number_of_long_polls(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path, feed_waits_per_token=2)
    async with relay_in_process(settings) as relay:
        provider = await new_provider(settings)
        desk = {"Authorization": f"Token {provider['attendant_token']}"}
        owner = {"Authorization": f"Token {provider['owner_token']}"}
        feed = "/payments/bucket/payments/?after=0&wait=5"
        held = [asyncio.create_task(relay.client.get(feed, headers=desk)) for _ in range(2)]
        waiters, key = relay.services.waiters, token_hash(provider["attendant_token"])
        async with asyncio.timeout(30):
            while waiters.held(key) < 2:  # noqa: ASYNC110 - the limit exposes no event
                await asyncio.sleep(0.01)
        third = await relay.client.get(feed, headers=desk)
        # A snapshot counts like a long-poll: refused while the token holds its share.
        snapshot = await relay.client.get("/payments/bucket/payments/snapshot/", headers=desk)
        # A quick read (no wait) and another token of the same provider are not affected.
        quick = await relay.client.get("/payments/bucket/payments/?after=0", headers=desk)
        other = await relay.client.get("/payments/bucket/payments/?after=0&wait=1", headers=owner)
        answers = await asyncio.gather(*held)
        after = await relay.client.get("/payments/bucket/payments/?after=0&wait=1", headers=desk)
        whole = await relay.client.get("/payments/bucket/payments/snapshot/", headers=desk)
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "too_many_waits"
    assert third.headers["Retry-After"] == "5"
    assert snapshot.status_code == 429 and snapshot.json()["error"]["code"] == "too_many_waits"
    assert quick.status_code == other.status_code == 200
    assert [answer.status_code for answer in answers] == [200, 200]
    assert after.status_code == whole.status_code == 200
    assert waiters.held(key) == 0  # the snapshot's hold ended with its body
