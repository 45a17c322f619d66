"""Webhook endpoints in the SQLite store: the owner's add, change, rotate and delete."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from server_stub.webhooks.records import EndpointRecord

ENDPOINT_COLUMNS = (
    "id, provider_id, url, description, events, enabled, disabled_reason, created_at, "
    "old_secret_until, failing_since, last_success_at"
)
MAX_ENDPOINTS = 20


class TooManyEndpoints(ValueError):
    """The provider already has the most endpoints allowed."""


def endpoint_from_row(row: tuple[Any, ...]) -> EndpointRecord:
    """An EndpointRecord from a row selected with ENDPOINT_COLUMNS."""
    return EndpointRecord(
        id=row[0],
        provider_id=row[1],
        url=row[2],
        description=row[3],
        events=tuple(json.loads(row[4])),
        enabled=bool(row[5]),
        disabled_reason=row[6],
        created_at=row[7],
        old_secret_until=row[8],
        failing_since=row[9],
        last_success_at=row[10],
    )


def select_endpoints(conn: sqlite3.Connection, provider_id: int) -> list[EndpointRecord]:
    """The provider's endpoints, oldest first."""
    rows = conn.execute(
        f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE provider_id = ? "  # noqa: S608
        "ORDER BY id",
        (provider_id,),
    ).fetchall()
    return [endpoint_from_row(row) for row in rows]


def select_endpoint(
    conn: sqlite3.Connection, provider_id: int, endpoint_id: int
) -> EndpointRecord | None:
    """One endpoint of the provider, or None."""
    row = conn.execute(
        f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints "  # noqa: S608 - constant
        "WHERE provider_id = ? AND id = ?",
        (provider_id, endpoint_id),
    ).fetchone()
    return endpoint_from_row(row) if row else None


def insert_endpoint(
    conn: sqlite3.Connection,
    provider_id: int,
    url: str,
    events: Sequence[str],
    description: str,
    secret: bytes,
    now: float,
) -> EndpointRecord:
    """Add an endpoint (enabled); TooManyEndpoints past the limit."""
    (count,) = conn.execute(
        "SELECT COUNT(*) FROM webhook_endpoints WHERE provider_id = ?", (provider_id,)
    ).fetchone()
    if count >= MAX_ENDPOINTS:
        raise TooManyEndpoints(f"A provider may have at most {MAX_ENDPOINTS} webhook endpoints.")
    cursor = conn.execute(
        "INSERT INTO webhook_endpoints (provider_id, url, description, events, secret, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (provider_id, url, description, json.dumps(list(events)), secret, now, now),
    )
    made = select_endpoint(conn, provider_id, int(cursor.lastrowid or 0))
    assert made is not None
    return made


def update_endpoint(
    conn: sqlite3.Connection,
    provider_id: int,
    endpoint_id: int,
    changes: dict[str, Any],
    now: float,
) -> EndpointRecord | None:
    """Change url, events, description or enabled; None when there is no such endpoint."""
    current = select_endpoint(conn, provider_id, endpoint_id)
    if current is None:
        return None
    url = changes.get("url", current.url)
    events = changes.get("events", current.events)
    description = changes.get("description", current.description)
    enabled = changes.get("enabled", current.enabled)
    # Enabling again starts the 3-day count afresh and forgets why it was switched off.
    reason = current.disabled_reason if not enabled else None
    failing_since = current.failing_since if current.enabled or not enabled else None
    if not enabled and current.enabled:
        reason = "Disabled by the owner."
    conn.execute(
        "UPDATE webhook_endpoints SET url = ?, events = ?, description = ?, enabled = ?, "
        "disabled_reason = ?, failing_since = ?, updated_at = ? WHERE id = ?",
        (
            url,
            json.dumps(list(events)),
            description,
            int(enabled),
            reason,
            failing_since,
            now,
            endpoint_id,
        ),
    )
    return select_endpoint(conn, provider_id, endpoint_id)


def delete_endpoint(conn: sqlite3.Connection, provider_id: int, endpoint_id: int) -> bool:
    """Delete an endpoint with its deliveries and log; False when there is no such endpoint."""
    cursor = conn.execute(
        "DELETE FROM webhook_endpoints WHERE provider_id = ? AND id = ?",
        (provider_id, endpoint_id),
    )
    return cursor.rowcount == 1


def rotate_secret(
    conn: sqlite3.Connection,
    provider_id: int,
    endpoint_id: int,
    new_secret: bytes,
    old_until: float,
    now: float,
) -> bool:
    """Sign with `new_secret` from now on, and with the current one too until `old_until`."""
    cursor = conn.execute(
        "UPDATE webhook_endpoints SET old_secret = secret, old_secret_until = ?, secret = ?, "
        "updated_at = ? WHERE provider_id = ? AND id = ?",
        (old_until, new_secret, now, provider_id, endpoint_id),
    )
    return cursor.rowcount == 1


def reencrypt_endpoint_secrets(conn: sqlite3.Connection, rotate: Callable[[bytes], bytes]) -> int:
    """Pass every stored webhook secret through `rotate` (the relay's `rotate-key`)."""
    count = 0
    rows = conn.execute("SELECT id, secret, old_secret FROM webhook_endpoints").fetchall()
    for endpoint_id, secret, old in rows:
        conn.execute(
            "UPDATE webhook_endpoints SET secret = ?, old_secret = ? WHERE id = ?",
            (rotate(secret), rotate(old) if old is not None else None, endpoint_id),
        )
        count += 1 + (old is not None)
    return count
