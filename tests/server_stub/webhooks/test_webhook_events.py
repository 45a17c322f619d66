"""Webhook events are written in the same commit as the payment change they describe.

A real SQLite store: a callback, a confirming query, a failure and a dispute each leave exactly
the events of the change, with the payment item (and its access) as it stood after it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from cryptography.fernet import Fernet

from server_stub.payments.settlement import StkResult
from server_stub.security.atrest import SecretBox
from server_stub.security.tokens import token_hash
from server_stub.store import sqlite_callbacks
from server_stub.store.postgres.adapter import LockConflict
from server_stub.store.records import PaymentRecord, Purpose, RawCallback
from server_stub.store.sqlite_store import SqliteStore
from tests.server_stub.inprocess import SeededPush, keyring_for_tests, seed_pushes
from tests.server_stub.stores import StoreMaker, run_sql
from tests.server_stub.webhooks.webhook_support import ALL_EVENTS

SECRET = SecretBox([Fernet.generate_key()]).encrypt(b"whsec_c2VjcmV0c2VjcmV0c2VjcmV0")


async def _store(new_store: StoreMaker, events: list[str] = ALL_EVENTS) -> tuple[SqliteStore, int]:
    store = new_store(time.time, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", time.time())
    await store.webhooks.add(provider, "https://portal.example/h", events, "", SECRET)
    return store, provider


def _events(store: SqliteStore) -> list[tuple[str, dict[str, Any]]]:
    rows = run_sql(
        store,
        "SELECT v.type, v.body FROM webhook_events v JOIN webhook_deliveries d "
        "ON d.event_id = v.id GROUP BY v.id ORDER BY MIN(d.id)",
    )
    return [(kind, json.loads(body)) for kind, body in rows]


async def _callback(store: SqliteStore, push: SeededPush, result: StkResult) -> None:
    raw = RawCallback(time.time(), str(push.provider_id), token_hash(push.token), "1.2.3.4", b"{}")
    await store.ingest_callback(
        raw, provider_id=push.provider_id, result=result, rejection=None, confirm_after_s=2.0
    )


async def _payment(store: SqliteStore, push: SeededPush) -> PaymentRecord:
    record = await store.get_payment(push.provider_id, push.checkout_request_id)
    assert record is not None
    return record


def _paid(push: SeededPush, receipt: str = "RDV0000001") -> StkResult:
    return StkResult("0", "ok", push.checkout_request_id, "MR", receipt, push.amount)


async def test_paid_then_confirmed_makes_paid_confirmed_issued_and_delivered(
    new_store: StoreMaker,
) -> None:
    store, provider = await _store(new_store)
    [push] = await seed_pushes(store, provider, 1)
    assert _events(store) == []  # a pending push is no event
    await _callback(store, push, _paid(push))
    [(kind, paid)] = _events(store)
    assert kind == "payment.paid" == paid["type"]
    assert paid["data"]["status"] == "paid" and paid["data"]["confirmation"] == "pending"
    assert paid["data"]["mpesa_receipt_number"] == "RDV0000001"
    assert paid["timestamp"].endswith("+00:00")  # UTC, ISO 8601
    record = await _payment(store, push)
    await store.apply_query(record.id, _paid(push), next_query_at=None, now=time.time())
    kinds = [kind for kind, _ in _events(store)]
    assert kinds == ["payment.paid", "payment.confirmed", "access.issued", "access.delivered"]
    confirmed = _events(store)[1][1]["data"]
    assert confirmed["confirmation"] == "confirmed" and confirmed["access"]["code"]
    await store.close()


async def test_a_query_settling_a_push_sends_paid_and_confirmed_at_once(
    new_store: StoreMaker,
) -> None:
    store, provider = await _store(new_store)
    [push] = await seed_pushes(store, provider, 1)
    record = await _payment(store, push)
    await store.apply_query(record.id, _paid(push), next_query_at=None, now=time.time())
    kinds = [kind for kind, _ in _events(store)]
    assert kinds == ["payment.paid", "payment.confirmed", "access.issued", "access.delivered"]
    assert _events(store)[1][1]["data"]["confirmation"] == "not_needed"
    await store.close()


async def test_failures_and_disputes_are_events_and_access_is_shown_revoked(
    new_store: StoreMaker,
) -> None:
    store, provider = await _store(new_store)
    await store.set_access_at_callback(provider, True)
    cancelled, disputed = await seed_pushes(store, provider, 2)
    await _callback(store, cancelled, StkResult("1032", "Cancelled", cancelled.checkout_request_id))
    await _callback(store, disputed, _paid(disputed))
    record = await _payment(store, disputed)
    await store.apply_query(
        record.id, StkResult("1032", "no", "x"), next_query_at=None, now=time.time()
    )
    kinds = [kind for kind, _ in _events(store)]
    assert kinds == [
        "payment.failed",
        "payment.paid",
        "access.issued",
        "access.delivered",
        "payment.disputed",
    ]
    failed, dispute = _events(store)[0][1]["data"], _events(store)[-1][1]["data"]
    assert failed["status"] == "cancelled" and failed["result_code"] == "1032"
    assert dispute["status"] == "disputed" and dispute["access"]["state"] == "revoked"
    await store.close()


async def test_only_enabled_subscribed_endpoints_get_events_and_test_prompts_get_none(
    new_store: StoreMaker,
) -> None:
    store, provider = await _store(new_store, ["payment.failed"])
    second = await store.webhooks.add(
        provider, "https://portal.example/2", ["payment.paid"], "", SECRET
    )
    await store.webhooks.change(provider, second.id, {"enabled": False})
    paid, failed = await seed_pushes(store, provider, 2)
    await _callback(store, paid, _paid(paid))
    assert _events(store) == []  # the one endpoint wanting payment.paid is disabled
    await _callback(store, failed, StkResult("2001", "Wrong PIN", failed.checkout_request_id))
    assert [kind for kind, _ in _events(store)] == ["payment.failed"]
    claimed = await store.webhooks.claim(10, "lease", 60.0, {}, 2)
    assert [c.endpoint_id for c in claimed] == [1]
    await store.close()


async def test_a_test_prompt_never_sends_webhooks(new_store: StoreMaker) -> None:
    store, provider = await _store(new_store)
    [push] = await seed_pushes(store, provider, 1)
    run_sql(store, "UPDATE payments SET purpose = ?", (Purpose.TEST.value,))
    await _callback(store, push, _paid(push))
    assert _events(store) == []
    await store.close()


# A broken delivery insert, in each database's own trigger language.
REFUSE_DELIVERIES = {
    "sqlite": [
        "CREATE TRIGGER refuse BEFORE INSERT ON webhook_deliveries "
        "BEGIN SELECT RAISE(ABORT, 'no'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RAISE EXCEPTION 'no'; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON webhook_deliveries "
        "FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
}


async def test_a_commit_that_fails_leaves_no_event_behind(new_store: StoreMaker) -> None:
    store, provider = await _store(new_store)
    [push] = await seed_pushes(store, provider, 1)
    # A broken delivery insert makes the callback's apply fail: the event goes with it.
    for statement in REFUSE_DELIVERIES[new_store.backend]:
        run_sql(store, statement)
    await _callback(store, push, _paid(push))
    assert _events(store) == []
    assert (await _payment(store, push)).status.value == "pending"  # rolled back together
    [(outcome,)] = run_sql(store, "SELECT outcome FROM raw_callbacks")
    assert outcome == "apply_failed"  # the raw callback itself is kept
    await store.close()


async def test_a_callback_put_off_by_a_lock_is_applied_when_it_runs_again(
    new_store: StoreMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another instance holding a row (a PostgreSQL deadlock broken on this side) is not a
    # failed apply: the writer runs the callback again and it is applied once.
    store, provider = await _store(new_store)
    [push] = await seed_pushes(store, provider, 1)
    apply = sqlite_callbacks._apply
    tries: list[int] = []

    def conflict_once(*args: Any) -> Any:
        tries.append(1)
        if len(tries) == 1:
            raise LockConflict("deadlock detected")
        return apply(*args)

    monkeypatch.setattr(sqlite_callbacks, "_apply", conflict_once)
    await _callback(store, push, _paid(push))
    assert len(tries) == 2
    assert (await _payment(store, push)).status.value == "paid"
    assert run_sql(store, "SELECT outcome FROM raw_callbacks") == [("applied",)]
    assert [kind for kind, _ in _events(store)] == ["payment.paid"]
    await store.close()
