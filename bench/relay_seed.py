"""Seeding the relay's store for bench_relay.py: pushes with known callback tokens, a big feed.

Rows go straight into SQLite (pushing 285,000 prompts through the simulator would take hours);
providers and tokens are made by the relay's own admin command.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from relay_load import http_request

from server_stub.store.sqlite_feed import render_unrendered

try:
    from server_stub.operations import admin
    from server_stub.operations.settings import load_settings
    from server_stub.security.tokens import new_token, token_hash
except ImportError:  # a previous commit's relay, from before its modules moved into folders
    from server_stub.settings import load_settings
    from server_stub.tokens import new_token, token_hash

    from server_stub import admin

FEED_PAYMENTS = 100_000
_INSERT = (
    "INSERT INTO payments (provider_id, callback_token_hash, status, phone_number, amount, "
    "mpesa_receipt_number, result_code, resolved_by, checkout_request_id, seq, created_at, "
    "updated_at, account_reference, transaction_desc, merchant_request_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'HOTSPOT1', 'WiFi 1 hour', 'MR')"
)


@dataclass(frozen=True)
class Seeded:
    """What the store holds for the load: callback paths and the feed provider's token."""

    ingest_paths: list[tuple[int, str]]
    feed_token: str
    feed_last_seq: int


async def seed(env: dict[str, str], pushes: int, feed_payments: int = FEED_PAYMENTS) -> Seeded:
    """Providers by the admin command, then pushes and payments straight into SQLite."""
    settings = load_settings(env)
    ingest = await admin.create_provider(settings, "Bench ingest")
    feed = await admin.create_provider(settings, "Bench feed")
    tokens = [new_token() for _ in range(pushes)]
    rows = _pending_pushes(ingest["provider_id"], tokens) + _settled(
        feed["provider_id"], feed_payments
    )
    with sqlite3.connect(settings.database_path) as conn:
        conn.executemany(_INSERT, rows)
        for provider, last in (
            (ingest["provider_id"], pushes),
            (feed["provider_id"], feed_payments),
        ):
            conn.execute("UPDATE providers SET last_seq = ? WHERE id = ?", (last, provider))
        # What the relay does for rows it did not write itself when it next opens the file.
        render_unrendered(conn)
    paths = [(n, f"/payments/callback/{ingest['provider_id']}/{t}/") for n, t in enumerate(tokens)]
    return Seeded(paths, feed["attendant_token"], feed_payments)


def _pending_pushes(provider_id: int, tokens: list[str]) -> list[tuple[Any, ...]]:
    now = time.time()
    return [
        (provider_id, token_hash(token), "pending", f"2547{n:08d}", 10, None, None, None,
         f"ws_CO_BENCH_{n}", n + 1, now, now)
        for n, token in enumerate(tokens)
    ]  # fmt: skip


def _settled(provider_id: int, count: int) -> list[tuple[Any, ...]]:
    now = time.time()
    statuses = ("paid", "paid", "paid", "cancelled", "failed", "expired")
    rows = []
    for n in range(count):
        paid = statuses[n % len(statuses)] == "paid"
        rows.append(
            (provider_id, token_hash(new_token()), statuses[n % len(statuses)], f"2541{n:08d}",
             50, f"FEED{n:06d}" if paid else None, "0" if paid else "1032", "callback",
             f"ws_CO_FEED_{n}", n + 1, now, now)
        )  # fmt: skip
    return rows


def callbacks(paths: list[tuple[int, str]]) -> Iterator[tuple[int, bytes]]:
    """One paid callback request per seeded push, in order."""
    for number, path in paths:
        yield number, http_request("POST", path, callback_body(number))


def callback_body(number: int) -> bytes:
    """The paid callback of seeded push `number` (bench/ingest_wrk.lua sends the same bytes)."""
    body = {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "MR",
                "CheckoutRequestID": f"ws_CO_BENCH_{number}",
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": 10.0},
                        {"Name": "MpesaReceiptNumber", "Value": f"BEN{number:07d}"},
                        {"Name": "Balance"},
                        {"Name": "TransactionDate", "Value": 20261126120000},
                        {"Name": "PhoneNumber", "Value": 254708374149},
                    ]
                },
            }
        }
    }
    return json.dumps(body).encode()
