"""Webhook events, written in the same commit as the change they describe.

An event is rendered once, when it happens: its id (`evt_` + 128 random bits, the receivers'
idempotency key) and its body bytes are stored, and every retry sends exactly those. Only
endpoints enabled and subscribed at that moment get it (DESIGN.md section 13); a provider with
no endpoint pays one indexed lookup per change.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence
from typing import Any

from bucket_desktop.services.mpesa_rules import PaymentStatus
from server_stub.store.feed_items import iso_time, payment_fields
from server_stub.store.records import AccessState, Confirmation, PaymentRecord, Purpose

PAYMENT_PAID = "payment.paid"
PAYMENT_CONFIRMED = "payment.confirmed"
PAYMENT_FAILED = "payment.failed"
PAYMENT_DISPUTED = "payment.disputed"
ACCESS_ISSUED = "access.issued"
ACCESS_DELIVERED = "access.delivered"
EVENT_TYPES = (
    PAYMENT_PAID,
    PAYMENT_CONFIRMED,
    PAYMENT_FAILED,
    PAYMENT_DISPUTED,
    ACCESS_ISSUED,
    ACCESS_DELIVERED,
)
TEST_EVENT = "webhook.test"
_UNSUCCESSFUL = (PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED)
_CONFIRMED = (Confirmation.CONFIRMED, Confirmation.NOT_NEEDED)


def new_event_id() -> str:
    """`evt_` and 128 random bits: unlike a row number, never repeated after a restore."""
    return "evt_" + secrets.token_hex(16)


def event_body(event_type: str, data: dict[str, Any], now: float) -> bytes:
    """`{"type", "timestamp" (UTC ISO 8601), "data"}` as compact UTF-8 JSON."""
    document = {"type": event_type, "timestamp": iso_time(now), "data": data}
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
        "utf-8"
    )


def payment_event_types(before: PaymentRecord, after: PaymentRecord) -> list[str]:
    """The events a change from `before` to `after` makes, in the order they happened."""
    if after.purpose is not Purpose.SALE:
        return []  # the owner's test prompt never sends webhooks (DESIGN.md section 13)
    found = []
    if after.status is not before.status:
        if after.status is PaymentStatus.PAID:
            found.append(PAYMENT_PAID)
        elif after.status in _UNSUCCESSFUL:
            found.append(PAYMENT_FAILED)
        elif after.status is PaymentStatus.DISPUTED:
            found.append(PAYMENT_DISPUTED)
    if (
        after.status is PaymentStatus.PAID
        and after.confirmation in _CONFIRMED
        and before.confirmation not in _CONFIRMED
    ):
        found.append(PAYMENT_CONFIRMED)
    if after.access is not None and after.access.state is not AccessState.REVOKED:
        if before.access is None:
            found.append(ACCESS_ISSUED)
        was_delivered = before.access is not None and before.access.state is AccessState.DELIVERED
        if after.access.state is AccessState.DELIVERED and not was_delivered:
            found.append(ACCESS_DELIVERED)
    return found


def emit_payment_changes(
    conn: sqlite3.Connection, before: PaymentRecord, after: PaymentRecord, now: float
) -> list[str]:
    """Write the events of a payment's change; returns their ids."""
    written = []
    for event_type in payment_event_types(before, after):
        event_id = emit(conn, after.provider_id, event_type, payment_fields(after), now, after.id)
        if event_id is not None:
            written.append(event_id)
    return written


def emit(
    conn: sqlite3.Connection,
    provider_id: int,
    event_type: str,
    data: dict[str, Any],
    now: float,
    payment_id: int | None = None,
    *,
    endpoint_ids: Sequence[int] | None = None,
) -> str | None:
    """Write one event and a delivery to each endpoint that wants it; None when none does."""
    if endpoint_ids is None:
        endpoint_ids = subscribed(conn, provider_id, event_type)
    if not endpoint_ids:
        return None
    event_id = new_event_id()
    conn.execute(
        "INSERT INTO webhook_events (id, provider_id, type, payment_id, body, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (event_id, provider_id, event_type, payment_id, event_body(event_type, data, now), now),
    )
    conn.executemany(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, state, next_try_at, created_at, "
        "updated_at) VALUES (?, ?, 'pending', ?, ?, ?)",
        [(endpoint_id, event_id, now, now, now) for endpoint_id in endpoint_ids],
    )
    return event_id


def subscribed(conn: sqlite3.Connection, provider_id: int, event_type: str) -> list[int]:
    """The provider's enabled endpoints subscribed to this event type."""
    rows = conn.execute(
        "SELECT id, events FROM webhook_endpoints WHERE provider_id = ? AND enabled = 1 "
        "ORDER BY id",
        (provider_id,),
    ).fetchall()
    return [int(row[0]) for row in rows if event_type in json.loads(row[1])]
