"""Callback ingest's merged statements keep each outcome (issue 21, sqlite_callbacks)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.server_stub.inprocess import (
    as_bytes,
    new_provider,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)

JSON = {"Content-Type": "application/json"}


async def test_a_receipt_already_held_by_another_payment_is_refused(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        provider = await new_provider(settings)
        first, second = await seed_pushes(relay.store, provider["provider_id"], 2)
        for push in (first, second, first):  # the last: a duplicate of the first, not a reuse
            body = as_bytes(paid_callback(push, "SBR1234567"))
            answer = await relay.client.post(push.callback_path, content=body, headers=JSON)
            assert answer.status_code == 200
        outcomes = [outcome for _, outcome in relay.store.raw_callback_outcomes()]
        assert outcomes == ["applied", "receipt_reused", "duplicate"]
    with sqlite3.connect(settings.database_path) as conn:
        rows = conn.execute(
            "SELECT checkout_request_id, status, mpesa_receipt_number, confirmation "
            "FROM payments ORDER BY id"
        ).fetchall()
        (last_callback_at,) = conn.execute(
            "SELECT last_callback_at FROM providers WHERE id = ?", (provider["provider_id"],)
        ).fetchone()
    assert rows == [
        (first.checkout_request_id, "paid", "SBR1234567", "pending"),
        (second.checkout_request_id, "pending", None, None),
    ]
    assert last_callback_at is not None


async def test_a_webhook_sees_the_payment_as_it_was_before_the_callback(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        provider = await new_provider(settings)
        (push,) = await seed_pushes(relay.store, provider["provider_id"], 1)
        await relay.store.set_access_at_callback(provider["provider_id"], True)
        with sqlite3.connect(settings.database_path) as conn:
            conn.execute(
                "INSERT INTO webhook_endpoints (provider_id, url, events, secret, enabled, "
                "created_at, updated_at) VALUES (?, 'https://hooks.example/pb', ?, x'00', 1, 0, 0)",
                (provider["provider_id"], '["payment.paid", "access.issued"]'),
            )
        body = as_bytes(paid_callback(push, "SBW1234567"))
        answer = await relay.client.post(push.callback_path, content=body, headers=JSON)
        assert answer.status_code == 200
    with sqlite3.connect(settings.database_path) as conn:
        types = sorted(row[0] for row in conn.execute("SELECT type FROM webhook_events"))
    assert types == ["access.issued", "payment.paid"]
