"""Paid -> confirmed -> access: the confirming query, disputes, and exactly one access row.

The relay runs in-process on a real SQLite file; callbacks arrive over HTTP, and the query
answers go through `apply_query`, as the reconciler sends them.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from server_stub.access.codes import ALPHABET
from server_stub.access.confirmation import GAVE_UP, next_confirm_at
from server_stub.payments.settlement import StkResult
from server_stub.security.tokens import new_token, token_hash
from server_stub.store.records import NewPush, Purpose
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
from tests.server_stub.stores import store_sql


async def _feed(relay: InProcessRelay, token: str) -> dict[str, dict[str, Any]]:
    answer = await relay.client.get(
        "/payments/bucket/payments/?after=0", headers={"Authorization": f"Token {token}"}
    )
    assert answer.status_code == 200
    return {item["checkout_request_id"]: item for item in answer.json()["items"]}


async def _query(relay: InProcessRelay, push: SeededPush, code: str | None, **kw: Any) -> None:
    record = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
    assert record is not None
    result = None if code is None else StkResult(code, "query says", push.checkout_request_id)
    await relay.store.apply_query(record.id, result, next_query_at=None, now=time.time(), **kw)


async def _callback(relay: InProcessRelay, push: SeededPush, receipt: str) -> None:
    answer = await relay.client.post(
        push.callback_path,
        content=as_bytes(paid_callback(push, receipt)),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200


def _access_rows(db: Path) -> list[tuple[Any, ...]]:
    return store_sql(db, "SELECT payment_id, code, state FROM access ORDER BY id")


async def test_a_paid_callback_waits_for_the_query_then_gets_one_code(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        [push] = await seed_pushes(relay.store, made["provider_id"], 1)
        await _callback(relay, push, "RCF0000001")
        item = (await _feed(relay, made["attendant_token"]))[push.checkout_request_id]
        assert (item["status"], item["confirmation"], item["access"]) == ("paid", "pending", None)
        seq_before = item["seq"]
        await _query(relay, push, "0")
        item = (await _feed(relay, made["attendant_token"]))[push.checkout_request_id]
        assert (item["confirmation"], item["seq"] > seq_before) == ("confirmed", True)
        code = item["access"]["code"]
        assert len(code) == 8 and set(code) <= set(ALPHABET)
        assert item["access"]["state"] == "delivered"
        # A duplicate callback, a second query and the status route change nothing.
        await _callback(relay, push, "RCF0000001")
        await _query(relay, push, "0")
        status = await relay.client.post(
            "/payments/bucket/status/",
            json={"checkout_request_id": push.checkout_request_id},
            headers={"Authorization": f"Token {made['owner_token']}"},
        )
        assert status.json()["access"]["code"] == code
    assert [row[1] for row in _access_rows(settings.database_path)] == [code]


async def test_a_query_that_disagrees_disputes_and_revokes(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        owner = {"Authorization": f"Token {made['owner_token']}"}
        put = await relay.client.put(
            "/payments/bucket/access-settings/", json={"access_at_callback": True}, headers=owner
        )
        assert put.json() == {
            "success": True,
            "access_at_callback": True,
            "radius_enabled": False,
            "radius_available": False,
            "radius_problem": None,
            "radius_nas_identifier": f"pb-{made['provider_id']}",
            "mikrotik_enabled": False,
            "router_identity": None,
        }
        [push] = await seed_pushes(relay.store, made["provider_id"], 1)
        await _callback(relay, push, "RCF0000002")
        item = (await _feed(relay, made["owner_token"]))[push.checkout_request_id]
        assert (item["confirmation"], item["access"]["state"]) == ("pending", "delivered")
        code = item["access"]["code"]
        await _query(relay, push, "1032")
        item = (await _feed(relay, made["owner_token"]))[push.checkout_request_id]
        assert (item["status"], item["confirmation"]) == ("disputed", None)
        assert (item["access"]["code"], item["access"]["state"]) == (code, "revoked")
    assert len(_access_rows(settings.database_path)) == 1


async def test_access_waits_for_confirmation_by_default(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        got = await relay.client.get(
            "/payments/bucket/access-settings/",
            headers={"Authorization": f"Token {made['owner_token']}"},
        )
        assert got.json()["access_at_callback"] is False
        refused = await relay.client.get(
            "/payments/bucket/access-settings/",
            headers={"Authorization": f"Token {made['attendant_token']}"},
        )
        assert refused.status_code == 403
        [push] = await seed_pushes(relay.store, made["provider_id"], 1)
        await _callback(relay, push, "RCF0000003")
        await _query(relay, push, "1032")  # disputed before any access was given
        item = (await _feed(relay, made["owner_token"]))[push.checkout_request_id]
        assert (item["status"], item["access"]) == ("disputed", None)
    assert _access_rows(settings.database_path) == []


async def test_a_payment_settled_by_query_needs_no_confirmation(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        [push] = await seed_pushes(relay.store, made["provider_id"], 1)
        await _query(relay, push, "0")
        item = (await _feed(relay, made["owner_token"]))[push.checkout_request_id]
        assert (item["status"], item["confirmation"]) == ("paid", "not_needed")
        code = item["access"]["code"]
        await _callback(relay, push, "RCF0000004")  # the late callback adds the receipt
        item = (await _feed(relay, made["owner_token"]))[push.checkout_request_id]
        assert (item["mpesa_receipt_number"], item["access"]["code"]) == ("RCF0000004", code)
    assert len(_access_rows(settings.database_path)) == 1


async def test_a_confirmation_that_cannot_go_on_is_flagged_once(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        [push] = await seed_pushes(relay.store, made["provider_id"], 1)
        await _callback(relay, push, "RCF0000005")
        await _query(relay, push, None, problem=GAVE_UP)
        item = (await _feed(relay, made["owner_token"]))[push.checkout_request_id]
        assert (item["confirmation"], item["confirmation_problem"]) == ("pending", GAVE_UP)
        assert item["access"] is None
        record = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
        assert record is not None and record.next_query_at is None


def test_the_confirming_query_backs_off_then_slows_then_gives_up() -> None:
    start = 1000.0
    gaps = []
    now, attempts = start + 2, 1
    while (at := next_confirm_at(start, attempts, now)) is not None:
        gaps.append(at - now)
        now, attempts = at, attempts + 1
    assert gaps[:6] == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    assert 600.0 in gaps and max(gaps) == 600.0
    assert now <= start + 24 * 3600 and now >= start + 24 * 3600 - 600


async def test_the_owners_test_prompt_never_gets_access(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        await relay.store.set_access_at_callback(made["provider_id"], True)
        token = new_token()
        reserved = await relay.store.reserve_push(
            NewPush(
                made["provider_id"],
                token_hash(token),
                None,
                "254712000999",
                1,
                "TEST",
                "Test",
                time.time(),
                purpose=Purpose.TEST,
            ),
            guard_since=time.time() + 1,
        )
        assert reserved.created is not None
        await relay.store.confirm_push(
            reserved.created.id,
            checkout_request_id="ws_TEST_1",
            merchant_request_id="MR",
            first_query_at=time.time() + 3600,
            now=time.time(),
        )
        push = SeededPush(made["provider_id"], "ws_TEST_1", 1, token)
        await _callback(relay, push, "RCT0000001")
        await _query(relay, push, "0")
        item = (await _feed(relay, made["owner_token"]))["ws_TEST_1"]
        assert (item["purpose"], item["status"], item["access"]) == ("test", "paid", None)
    assert _access_rows(settings.database_path) == []


async def test_a_paid_callback_wakes_the_sleeping_reconciler_for_its_confirming_query(
    tmp_path: Path,
) -> None:
    # Nothing else is due for an hour: without a wake-up the confirming query would wait that
    # long (Daraja is unreachable here, so the query's attempt is what shows it ran).
    settings = relay_settings(tmp_path, confirm_first_s=0.2)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        [push] = await seed_pushes(relay.store, made["provider_id"], 1)
        await _callback(relay, push, "RCF0000009")
        deadline = time.monotonic() + 30
        attempts = 0
        while attempts == 0 and time.monotonic() < deadline:
            record = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
            assert record is not None
            attempts = record.confirm_attempts
            await asyncio.sleep(0.05)
        assert attempts >= 1
