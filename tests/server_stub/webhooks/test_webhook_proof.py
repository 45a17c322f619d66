"""The relay as a real subprocess: webhooks survive kill -9 mid-delivery, and a slow receiver
holds up neither callbacks nor another provider's deliveries. Every delivery is checked by the
receiver with the `standardwebhooks` library's own verify."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from server_stub.operations.settings import load_settings
from server_stub.operations.store_access import store_for
from server_stub.testing import RunningRelay, start_relay
from tests.server_stub.inprocess import (
    SeededPush,
    as_bytes,
    failed_callback,
    new_provider,
    paid_callback,
    seed_pushes,
)
from tests.server_stub.stores import relay_environment, settings_sql
from tests.server_stub.webhooks.receiver import Receiver, running_receiver
from tests.server_stub.webhooks.webhook_support import eventually

QUIET = {"RELAY_RECONCILE_FIRST_S": "3600", "RELAY_RECONCILE_UNTIL_S": "3600"}
ACK = {"ResultCode": 0, "ResultDesc": "Accepted"}
EVENTS = ["payment.paid", "payment.failed", "access.issued"]


async def _prepare(env: dict[str, str], names: list[str], pushes: int) -> list[dict[str, Any]]:
    """Providers (giving access at the callback) with pushes seeded through the store."""
    settings = load_settings(env)
    made = []
    for name in names:
        provider = await new_provider(settings, name)
        store = store_for(settings, time.time)
        await store.set_access_at_callback(provider["provider_id"], True)
        provider["pushes"] = await seed_pushes(
            store, provider["provider_id"], pushes, tag=f"ws_{name}"
        )
        await store.close()
        made.append(provider)
    return made


async def _add_endpoint(relay: RunningRelay, provider: dict[str, Any], receiver: Receiver) -> None:
    async with httpx.AsyncClient(base_url=relay.base_url, timeout=30.0) as client:
        response = await client.post(
            "/payments/bucket/webhooks/",
            json={"url": receiver.url, "events": EVENTS},
            headers={"Authorization": f"Token {provider['owner_token']}"},
        )
    assert response.status_code == 200, response.text
    receiver.secrets.append(response.json()["secret"])
    relay.secrets.add(response.json()["secret"])


def _callback(push: SeededPush, number: int) -> bytes:
    if number % 4 == 3:
        return as_bytes(failed_callback(push, 1032))
    return as_bytes(paid_callback(push, f"WHK{push.provider_id}{number:06d}"))


async def _post_callbacks(relay: RunningRelay, pushes: list[SeededPush]) -> None:
    """Post every push's callback; each must be acknowledged."""
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=relay.base_url, timeout=30.0) as client:
        answers = await asyncio.gather(
            *(
                client.post(push.callback_path, content=_callback(push, n), headers=headers)
                for n, push in enumerate(pushes)
            )
        )
    assert all(a.status_code == 200 and a.json() == ACK for a in answers)


def _stored_events(env: dict[str, str]) -> dict[str, tuple[str, bytes]]:
    rows = settings_sql(load_settings(env), "SELECT id, type, body FROM webhook_events")
    return {event_id: (kind, bytes(body)) for event_id, kind, body in rows}


async def test_kill_9_mid_delivery_loses_no_event_and_keeps_each_webhook_id(
    tmp_path: Path,
) -> None:
    env = relay_environment(tmp_path / "relay", {**QUIET, "RELAY_ACCESS_LOG": "0"})
    [provider] = await _prepare(env, ["Kill"], 24)
    log = tmp_path / "relay.log"
    with running_receiver() as receiver:
        relay = await asyncio.to_thread(start_relay, env, log)
        try:
            await _add_endpoint(relay, provider, receiver)
            receiver.hold()  # the first deliveries stay in flight...
            await _post_callbacks(relay, provider["pushes"])
            await eventually(lambda: len(receiver.arrived) >= 2)
            cut_off = set(receiver.arrived)
            relay.kill()  # ...when the relay dies
        finally:
            relay.stop()
        receiver.release()
        relay = await asyncio.to_thread(start_relay, env, log)
        try:  # and once more while deliveries flow
            await eventually(lambda: len(receiver.received) >= 10)
            relay.kill()
        finally:
            relay.stop()
        relay = await asyncio.to_thread(start_relay, env, log)
        try:
            stored = _stored_events(env)
            await eventually(lambda: receiver.ids() >= set(stored), timeout_s=90)
        finally:
            relay.stop()
        assert not relay.leaked_secrets()
    assert "Traceback" not in log.read_text()
    assert receiver.ids() == set(stored)
    assert all(item.verified for item in receiver.received)
    for item in receiver.received:  # a repeat is the same event, byte for byte
        assert (item.event["type"], item.body) == stored[item.webhook_id]
    arrivals = Counter(receiver.arrived)
    assert all(arrivals[event_id] >= 2 for event_id in cut_off), "cut-off sends not repeated"
    kinds = Counter(kind for kind, _ in stored.values())
    assert kinds == {"payment.paid": 18, "access.issued": 18, "payment.failed": 6}


async def test_a_slow_receiver_holds_up_neither_callbacks_nor_other_providers(
    tmp_path: Path,
) -> None:
    env = relay_environment(tmp_path / "relay", {**QUIET, "RELAY_ACCESS_LOG": "0"})
    slow_provider, fast_provider = await _prepare(env, ["Slow", "Fast"], 8)
    with running_receiver() as slow, running_receiver() as fast:
        relay = await asyncio.to_thread(start_relay, env, tmp_path / "relay.log")
        try:
            await _add_endpoint(relay, slow_provider, slow)
            await _add_endpoint(relay, fast_provider, fast)
            slow.hold()  # answers only when the test says so (30 s at most)
            await _post_callbacks(relay, slow_provider["pushes"])
            await eventually(lambda: len(slow.arrived) >= 2)
            # While the slow receiver holds its deliveries, callbacks are acknowledged...
            await _post_callbacks(relay, fast_provider["pushes"])
            # ...and the other provider's events all arrive.
            fast_events = {
                event_id
                for event_id, (_, body) in _stored_events(env).items()
                if json.loads(body)["data"]["checkout_request_id"].startswith("ws_Fast")
            }
            assert len(fast_events) == 14
            await eventually(lambda: fast.ids() == fast_events)
            assert slow.received == []  # the slow receiver has still answered nothing
            slow.release()
            stored = _stored_events(env)
            await eventually(lambda: slow.ids() == set(stored) - fast_events, timeout_s=60)
        finally:
            relay.stop()
    assert all(item.verified for item in (*slow.received, *fast.received))
