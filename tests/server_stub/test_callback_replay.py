"""Replaying the whole raw-callback log three times leaves every payment exactly as it was."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from server_stub.payments.settlement import StkResult
from server_stub.security.tokens import new_token, token_hash
from tests.server_stub.inprocess import (
    InProcessRelay,
    SeededPush,
    as_bytes,
    failed_callback,
    new_provider,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)
from tests.server_stub.stores import store_sql

JSON = {"Content-Type": "application/json"}


def _table(db: Path, sql: str) -> list[tuple[Any, ...]]:
    return store_sql(db, sql)


async def _post(relay: InProcessRelay, path: str, body: bytes) -> int:
    response = await relay.client.post(path, content=body, headers=JSON)
    assert response.status_code < 500, response.text
    return response.status_code


def _path(provider_id: int, token: str) -> str:
    return f"/payments/callback/{provider_id}/{token}/"


async def _history(relay: InProcessRelay, pushes: list[SeededPush], other: SeededPush) -> None:
    """Every kind of callback the relay meets, in one log."""
    paid, cancelled, duplicated, disputed, by_query, wrong_amount, expired, mixed = pushes[:8]
    mine = paid.provider_id
    for path, body in (
        (paid.callback_path, paid_callback(paid, "RPL0000001")),
        (cancelled.callback_path, failed_callback(cancelled, 1032)),
        (duplicated.callback_path, paid_callback(duplicated, "RPL0000002")),
        (duplicated.callback_path, paid_callback(duplicated, "RPL0000002")),
        (disputed.callback_path, paid_callback(disputed, "RPL0000003")),
        (disputed.callback_path, failed_callback(disputed, 1032)),
        (wrong_amount.callback_path, paid_callback(wrong_amount, "RPL0000004", amount=99)),
        (expired.callback_path, failed_callback(expired, 1037, "DS timeout user unreachable")),
        (expired.callback_path, failed_callback(expired, 1037, "DS timeout user unreachable")),
        # Another provider's push token under this provider, another push's body, no such push.
        (_path(mine, other.token), paid_callback(other, "RPL0000005")),
        (mixed.callback_path, paid_callback(paid, "RPL0000007")),
        (_path(mine, new_token()), paid_callback(paid, "RPL0000008")),
        (paid.callback_path, {"Body": {"stkCallback": {"ResultCode": "0"}}}),
    ):
        await _post(relay, path, as_bytes(body))
    # A query settles one push first; its late callback then adds the receipt.
    record = await relay.store.get_payment(by_query.provider_id, by_query.checkout_request_id)
    assert record is not None
    await relay.store.apply_query(
        record.id,
        StkResult("0", "processed", by_query.checkout_request_id),
        next_query_at=None,
        now=time.time(),
    )
    await _post(relay, by_query.callback_path, as_bytes(paid_callback(by_query, "RPL0000006")))


async def test_replaying_the_raw_log_three_times_changes_nothing(tmp_path: Path) -> None:
    # The paid pushes' confirming queries (2 s after their callbacks by default) would change
    # their rows while a busy PC is still replaying: here they wait an hour.
    settings = relay_settings(tmp_path, confirm_first_s=3600.0)
    db = settings.database_path
    async with relay_in_process(settings) as relay:
        first = await new_provider(settings, "Replay Net")
        second = await new_provider(settings, "Other Net")
        pushes = await seed_pushes(relay.store, first["provider_id"], 8)
        [other] = await seed_pushes(relay.store, second["provider_id"], 1, tag="ws_OT")
        await _history(relay, pushes, other)
        payments_before = _table(db, "SELECT * FROM payments ORDER BY id")
        cursors_before = _table(db, "SELECT id, last_seq FROM providers ORDER BY id")
        log = _table(
            db,
            "SELECT r.id, r.body, p.callback_token_hash, r.provider_ref "
            "FROM raw_callbacks r LEFT JOIN payments p ON p.id = r.payment_id "
            "ORDER BY r.id",
        )
        tokens = {token_hash(push.token): push.token for push in [*pushes, other]}
        for _ in range(3):
            for _id, body, stored_hash, provider_ref in log:
                token = tokens.get(stored_hash) or new_token()
                await _post(relay, _path(provider_ref, token), bytes(body))
        assert _table(db, "SELECT * FROM payments ORDER BY id") == payments_before
        assert _table(db, "SELECT id, last_seq FROM providers ORDER BY id") == cursors_before
        replayed = _table(db, f"SELECT outcome FROM raw_callbacks WHERE id > {log[-1][0]}")
    assert len(replayed) == 3 * len(log)
    assert {"applied", "receipt_added", "disputed"}.isdisjoint(o for (o,) in replayed)
    original = {
        o for (o,) in _table(db, f"SELECT outcome FROM raw_callbacks WHERE id <= {log[-1][0]}")
    }
    assert original == {
        "applied",
        "duplicate",
        "disputed",
        "amount_mismatch",
        "wrong_provider",
        "checkout_mismatch",
        "unknown_push",
        "malformed",
        "receipt_added",
    }
    statuses = {status for (status,) in _table(db, "SELECT status FROM payments")}
    assert {"paid", "cancelled", "disputed", "pending", "expired"} <= statuses
