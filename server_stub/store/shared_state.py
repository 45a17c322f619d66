"""Abuse-limit events and one-time nonces kept in the database, for several relay instances.

Each function takes a connection of sqlite3's shape and is portable SQL, so it runs on both
stores; only a store shared by several instances (PostgreSQL) is asked to keep them. Writes go
through the store's writer; each is settled by the database row by row (a nonce is deleted
once), so they take no lock of their own (`write_scope.rows`).
"""

from __future__ import annotations

import sqlite3

from server_stub.store import write_scope


def limit_wait(
    conn: sqlite3.Connection, kind: str, key: str, limit: int, window_s: float, now: float
) -> float:
    """Seconds until `key` may act again under `limit` events per `window_s`; 0 if now."""
    # The event whose ageing-out frees a place: the limit-th newest within the window.
    row = conn.execute(
        "SELECT at FROM limit_events WHERE kind = ? AND key = ? AND at > ? "
        "ORDER BY at DESC LIMIT 1 OFFSET ?",
        (kind, key, now - window_s, limit - 1),
    ).fetchone()
    return 0.0 if row is None else max(0.0, float(row[0]) + window_s - now)


def limit_record(
    conn: sqlite3.Connection, kind: str, key: str, window_s: float, now: float
) -> None:
    """Count one event for `key` now, forgetting its events older than the window."""
    write_scope.rows(conn)
    conn.execute(
        "DELETE FROM limit_events WHERE kind = ? AND key = ? AND at <= ?",
        (kind, key, now - window_s),
    )
    conn.execute("INSERT INTO limit_events (kind, key, at) VALUES (?, ?, ?)", (kind, key, now))


def add_nonce(conn: sqlite3.Connection, nonce: str, expires_at: float, now: float) -> None:
    """Keep a new nonce until `expires_at`, forgetting expired ones."""
    write_scope.rows(conn)
    conn.execute("DELETE FROM nonces WHERE expires_at <= ?", (now,))
    conn.execute("INSERT INTO nonces (nonce, expires_at) VALUES (?, ?)", (nonce, expires_at))


def take_nonce(conn: sqlite3.Connection, nonce: str, now: float) -> bool:
    """True once for a kept nonce that has not expired (it is gone afterwards)."""
    write_scope.rows(conn)
    cursor = conn.execute("DELETE FROM nonces WHERE nonce = ? AND expires_at > ?", (nonce, now))
    return cursor.rowcount == 1
