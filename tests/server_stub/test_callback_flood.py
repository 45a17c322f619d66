"""Junk callbacks cannot fill the disk: bounded prefixes, and a per-address limit (issue 11).

Anyone can post to a callback address without a token of ours. Such callbacks are kept only as a
short prefix, and an address sending many is refused with 429 and Retry-After; Safaricom's own
callbacks (a token of ours) are kept whole and never limited.
"""

from __future__ import annotations

from pathlib import Path

from server_stub.store.records import UNMATCHED_BODY_PREFIX
from tests.server_stub.inprocess import (
    as_bytes,
    new_provider,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)
from tests.server_stub.stores import store_sql

JSON = {"Content-Type": "application/json"}
LIMIT = 20
JUNK = b'{"Body": "' + b"j" * 60_000 + b'"}'


def _stored_bytes(database: Path) -> list[tuple[str, int]]:
    rows = store_sql(database, "SELECT outcome, length(body) FROM raw_callbacks ORDER BY id")
    return [(str(outcome), int(size)) for outcome, size in rows]


async def test_junk_callbacks_are_kept_short_and_limited_per_address(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path, unknown_callbacks_per_minute=LIMIT)
    async with relay_in_process(settings, address="203.0.113.66") as relay:
        provider = await new_provider(settings)
        [push] = await seed_pushes(relay.store, provider["provider_id"], 1)
        flood = [
            await relay.client.post(f"/payments/callback/1/junk{n}/", content=JUNK, headers=JSON)
            for n in range(60)
        ]
        # Safaricom's callback from the same (flooding) address still goes through, whole.
        real = paid_callback(push, "FLOOD00001")
        real["Padding"] = "p" * 4000  # longer than a junk prefix
        applied = await relay.client.post(push.callback_path, content=as_bytes(real), headers=JSON)
        async with relay.client_from("203.0.113.67") as neighbour:
            other = await neighbour.post("/payments/callback/1/junk/", content=JUNK, headers=JSON)
        payment = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
    statuses = [response.status_code for response in flood]
    # Malformed, so refused (400) but stored, until the address is over its limit.
    assert statuses == [400] * LIMIT + [429] * (60 - LIMIT)
    refused = flood[-1]
    assert refused.json()["error"]["code"] == "too_many_callbacks"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert applied.status_code == 200
    assert payment is not None and payment.status.value == "paid"
    assert other.status_code == 400
    stored = _stored_bytes(settings.database_path)
    junk = [size for outcome, size in stored if outcome == "malformed"]
    assert len(junk) == LIMIT + 1
    assert all(size == UNMATCHED_BODY_PREFIX for size in junk)
    assert ("applied", len(as_bytes(real))) in stored
    # Sixty 60 KB junk posts stored 3.6 MB before; now at most LIMIT short prefixes per address.
    assert sum(junk) <= (LIMIT + 1) * UNMATCHED_BODY_PREFIX


async def test_malformed_callback_for_a_real_push_is_kept_whole(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        provider = await new_provider(settings)
        [push] = await seed_pushes(relay.store, provider["provider_id"], 1)
        body = b'{"Body": {"stkCallback": "' + b"x" * 10_000 + b'"}'
        response = await relay.client.post(push.callback_path, content=body, headers=JSON)
    assert response.status_code == 400
    assert _stored_bytes(settings.database_path) == [("malformed", len(body))]
