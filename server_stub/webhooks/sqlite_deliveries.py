"""Webhook deliveries in the SQLite store: leased claims, reports, the log, redelivery.

A worker claims due deliveries in one short writer transaction, sends with no transaction
open, then reports in another; a worker killed mid-send leaves a lease that runs out (or that
the next start releases), and the delivery is sent again with the same event id.

Several relay instances on PostgreSQL claim at once: each passes over the rows another is
claiming (`FOR UPDATE SKIP LOCKED`), so no delivery is leased twice; a report locks the
endpoint's provider (`write_scope`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from server_stub.store import write_scope
from server_stub.webhooks.records import AttemptResult, ClaimedWebhook, LogEntry
from server_stub.webhooks.schedule import disable_reason, next_try_at

MAX_ERROR = 300
PROVIDER_OF_DELIVERY = (
    "SELECT e.provider_id FROM webhook_deliveries d "
    "JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ?"
)
DUE = (
    "((d.state IN ('pending', 'failed') AND d.next_try_at <= :now) "
    "OR (d.state = 'leased' AND d.lease_until <= :now))"
)


def claim(
    conn: sqlite3.Connection,
    limit: int,
    lease_id: str,
    lease_s: float,
    now: float,
    busy: Mapping[int, int],
    per_endpoint: int,
) -> list[ClaimedWebhook]:
    """Lease up to `limit` due deliveries, at most `per_endpoint` in flight per endpoint."""
    write_scope.rows(conn)
    rows = conn.execute(
        "SELECT d.id, d.endpoint_id FROM webhook_deliveries d "  # noqa: S608 - constant
        f"JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.enabled = 1 AND {DUE} "
        "ORDER BY d.next_try_at, d.id LIMIT :scan" + write_scope.skip_locked(conn, "d"),
        {"now": now, "scan": limit * 8},
    ).fetchall()
    taken: dict[int, int] = dict(busy)
    claimed: list[ClaimedWebhook] = []
    for delivery_id, endpoint_id in rows:
        if len(claimed) >= limit:
            break
        if taken.get(endpoint_id, 0) >= per_endpoint:
            continue  # a slow endpoint waits its turn; the others go on
        taken[endpoint_id] = taken.get(endpoint_id, 0) + 1
        conn.execute(
            "UPDATE webhook_deliveries SET state = 'leased', lease_id = ?, lease_until = ?, "
            "updated_at = ? WHERE id = ?",
            (lease_id, now + lease_s, now, delivery_id),
        )
        claimed.append(_claimed(conn, delivery_id, now))
    return claimed


def _claimed(conn: sqlite3.Connection, delivery_id: int, now: float) -> ClaimedWebhook:
    row = conn.execute(
        "SELECT d.id, d.lease_id, e.id, e.provider_id, e.url, v.id, v.type, v.body, "
        "d.attempts, e.secret, e.old_secret, e.old_secret_until FROM webhook_deliveries d "
        "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
        "JOIN webhook_events v ON v.id = d.event_id WHERE d.id = ?",
        (delivery_id,),
    ).fetchone()
    secrets = [bytes(row[9])]
    if row[10] is not None and row[11] is not None and row[11] > now:
        secrets.append(bytes(row[10]))  # rotation: old and new both sign for 24 hours
    return ClaimedWebhook(
        delivery_id=row[0],
        lease_id=row[1],
        endpoint_id=row[2],
        provider_id=row[3],
        url=row[4],
        event_id=row[5],
        event_type=row[6],
        body=bytes(row[7]),
        attempts=row[8],
        secrets=tuple(secrets),
    )


def report(
    conn: sqlite3.Connection, delivery_id: int, lease_id: str, result: AttemptResult, now: float
) -> bool:
    """Record an attempt and its consequences; False when the delivery is gone or not ours.

    A report on a lease that ran out (the row may be someone else's now) is kept in the log,
    and changes the delivery only when it says delivered.
    """
    write_scope.provider_of(conn, PROVIDER_OF_DELIVERY, (delivery_id,))
    row = conn.execute(
        "SELECT state, lease_id, lease_until, attempts, endpoint_id FROM webhook_deliveries "
        "WHERE id = ?",
        (delivery_id,),
    ).fetchone()
    if row is None:
        return False  # the endpoint was deleted meanwhile
    state, held_by, until, attempts, endpoint_id = row
    attempt = attempts + 1
    own = state == "leased" and held_by == lease_id and until > now
    retry_at = None if result.ok else next_try_at(attempt, now)
    _log_attempt(conn, delivery_id, attempt, result, retry_at, now)
    if result.ok and state != "delivered":
        conn.execute(
            "UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, next_try_at = NULL, "
            "lease_id = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
            (attempt, now, delivery_id),
        )
        conn.execute(
            "UPDATE webhook_endpoints SET last_success_at = ?, failing_since = NULL WHERE id = ?",
            (now, endpoint_id),
        )
        return True
    if not own:
        return False
    conn.execute(
        "UPDATE webhook_deliveries SET state = ?, attempts = ?, next_try_at = ?, "
        "lease_id = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
        ("failed" if retry_at is not None else "exhausted", attempt, retry_at, now, delivery_id),
    )
    _note_failure(conn, endpoint_id, result.status_code, now)
    return True


def _log_attempt(
    conn: sqlite3.Connection,
    delivery_id: int,
    attempt: int,
    result: AttemptResult,
    retry_at: float | None,
    now: float,
) -> None:
    conn.execute(
        "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, duration_ms, "
        "error, response_body, next_try_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            delivery_id,
            attempt,
            now,
            result.status_code,
            result.duration_ms,
            (result.error or "")[:MAX_ERROR] or None,
            result.response_body,
            retry_at,
        ),
    )


def _note_failure(
    conn: sqlite3.Connection, endpoint_id: int, status_code: int | None, now: float
) -> None:
    (since,) = conn.execute(
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?) WHERE id = ? "
        "RETURNING failing_since",
        (now, endpoint_id),
    ).fetchone()
    reason = disable_reason(status_code, since, now)
    if reason is not None:
        conn.execute(
            "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? "
            "WHERE id = ? AND enabled = 1",
            (reason, now, endpoint_id),
        )


def release_leases(conn: sqlite3.Connection, now: float) -> int:
    """Make every leased delivery due now (at start: no other process can hold one)."""
    cursor = conn.execute(
        "UPDATE webhook_deliveries SET lease_until = ? WHERE state = 'leased' AND lease_until > ?",
        (now, now),
    )
    return cursor.rowcount


def old_deliveries(conn: sqlite3.Connection, before: float, limit: int) -> list[int]:
    """Deliveries made before `before` and not in flight, oldest first (read connection)."""
    rows = conn.execute(
        "SELECT id FROM webhook_deliveries WHERE created_at < ? AND state <> 'leased' "
        "ORDER BY id LIMIT ?",
        (before, limit),
    ).fetchall()
    return [row[0] for row in rows]


def old_events_without_deliveries(conn: sqlite3.Connection, before: float, limit: int) -> list[str]:
    """Events made before `before` that no delivery refers to any more (read connection)."""
    rows = conn.execute(
        "SELECT v.id FROM webhook_events v WHERE v.created_at < ? AND NOT EXISTS "
        "(SELECT 1 FROM webhook_deliveries d WHERE d.event_id = v.id) LIMIT ?",
        (before, limit),
    ).fetchall()
    return [row[0] for row in rows]


def forget(conn: sqlite3.Connection, delivery_ids: list[int], event_ids: list[str]) -> int:
    """Delete old deliveries (their attempts go with them), then events left without any.

    A delivery leased since it was listed is kept: its send is in flight.
    """
    removed = 0
    for delivery_id in delivery_ids:
        removed += conn.execute(
            "DELETE FROM webhook_deliveries WHERE id = ? AND state <> 'leased'", (delivery_id,)
        ).rowcount
    for event_id in event_ids:
        conn.execute(
            "DELETE FROM webhook_events WHERE id = ? AND NOT EXISTS "
            "(SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)",
            (event_id,),
        )
    return removed


def next_due(conn: sqlite3.Connection) -> float | None:
    """When the earliest delivery of an enabled endpoint is due (or its lease runs out)."""
    row = conn.execute(
        "SELECT MIN(CASE WHEN d.state = 'leased' THEN d.lease_until ELSE d.next_try_at END) "
        "FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
        "WHERE e.enabled = 1 AND d.state IN ('pending', 'failed', 'leased')"
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else None


def redeliver(conn: sqlite3.Connection, provider_id: int, delivery_id: int, now: float) -> str:
    """Send a delivery again now (same event id): 'ok', 'missing', 'in_flight' or 'disabled'."""
    row = conn.execute(
        "SELECT d.state, d.lease_until, e.enabled FROM webhook_deliveries d "
        "JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ? AND e.provider_id = ?",
        (delivery_id, provider_id),
    ).fetchone()
    if row is None:
        return "missing"
    if row[0] == "leased" and row[1] > now:
        return "in_flight"
    if not row[2]:
        return "disabled"
    conn.execute(
        "UPDATE webhook_deliveries SET state = 'pending', next_try_at = ?, lease_id = NULL, "
        "lease_until = NULL, updated_at = ? WHERE id = ?",
        (now, now, delivery_id),
    )
    return "ok"


def delivery_log(
    conn: sqlite3.Connection, provider_id: int, endpoint_id: int, limit: int
) -> list[LogEntry]:
    """The endpoint's attempts, and deliveries not tried yet, newest first."""
    attempts = conn.execute(
        "SELECT d.id, d.event_id, v.type, d.state, a.attempt, a.at, a.status_code, "
        "a.duration_ms, a.error, a.response_body, a.next_try_at FROM webhook_attempts a "
        "JOIN webhook_deliveries d ON d.id = a.delivery_id "
        "JOIN webhook_events v ON v.id = d.event_id "
        "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
        "WHERE e.id = ? AND e.provider_id = ? ORDER BY a.id DESC LIMIT ?",
        (endpoint_id, provider_id, limit),
    ).fetchall()
    waiting = conn.execute(
        "SELECT d.id, d.event_id, v.type, d.state, 0, d.created_at, NULL, NULL, NULL, '', "
        "d.next_try_at FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id "
        "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
        "WHERE e.id = ? AND e.provider_id = ? AND d.attempts = 0 ORDER BY d.id DESC LIMIT ?",
        (endpoint_id, provider_id, limit),
    ).fetchall()
    entries = [_entry(row) for row in (*attempts, *waiting)]
    entries.sort(key=lambda entry: (entry.at, entry.delivery_id, entry.attempt), reverse=True)
    return entries[:limit]


def _entry(row: tuple[Any, ...]) -> LogEntry:
    return LogEntry(
        delivery_id=row[0],
        event_id=row[1],
        event_type=row[2],
        state=row[3],
        attempt=row[4],
        at=row[5],
        status_code=row[6],
        duration_ms=row[7],
        error=row[8],
        response_body=row[9] or "",
        next_try_at=row[10],
    )
