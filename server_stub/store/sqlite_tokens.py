"""Token (desk) operations of the SQLite store: issue, look up, list, rename, revoke, touch."""

from __future__ import annotations

import sqlite3
from typing import Any

from server_stub.store import write_scope
from server_stub.store.records import Role, TokenRecord

DESK_COLUMNS = "id, provider_id, role, name, created_at, revoked_at, last_used_at, last_address"


def token_from_row(row: tuple[Any, ...]) -> TokenRecord:
    """A TokenRecord from a row selected with DESK_COLUMNS."""
    return TokenRecord(
        id=row[0],
        provider_id=row[1],
        role=Role(row[2]),
        name=row[3],
        created_at=row[4],
        revoked=row[5] is not None,
        last_used_at=row[6],
        last_address=row[7],
    )


def insert_token(
    conn: sqlite3.Connection,
    token_hash: str,
    provider_id: int,
    role: Role,
    name: str,
    created_at: float,
) -> int:
    """Store a new token's hash; returns its id."""
    cursor = conn.execute(
        "INSERT INTO tokens (token_hash, provider_id, role, name, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (token_hash, provider_id, role.value, name, created_at),
    )
    return int(cursor.lastrowid or 0)


def select_by_hash(conn: sqlite3.Connection, token_hash: str) -> TokenRecord | None:
    """The token with this hash, or None."""
    row = conn.execute(
        f"SELECT {DESK_COLUMNS} FROM tokens WHERE token_hash = ?",  # noqa: S608 - constant
        (token_hash,),
    ).fetchone()
    return token_from_row(row) if row else None


def select_of_provider(conn: sqlite3.Connection, provider_id: int) -> list[TokenRecord]:
    """Every token of a provider that is not revoked, oldest first."""
    rows = conn.execute(
        f"SELECT {DESK_COLUMNS} FROM tokens "  # noqa: S608 - constant
        "WHERE provider_id = ? AND revoked_at IS NULL ORDER BY id",
        (provider_id,),
    ).fetchall()
    return [token_from_row(row) for row in rows]


def rename(conn: sqlite3.Connection, provider_id: int, token_id: int, name: str) -> bool:
    """Rename a provider's live token; False when it has no such token."""
    cursor = conn.execute(
        "UPDATE tokens SET name = ? WHERE id = ? AND provider_id = ? AND revoked_at IS NULL",
        (name, token_id, provider_id),
    )
    return cursor.rowcount == 1


def revoke_by_id(conn: sqlite3.Connection, provider_id: int, token_id: int, at: float) -> bool:
    """Revoke a provider's live token; False when it has no such token."""
    cursor = conn.execute(
        "UPDATE tokens SET revoked_at = ? WHERE id = ? AND provider_id = ? AND revoked_at IS NULL",
        (at, token_id, provider_id),
    )
    return cursor.rowcount == 1


def touch(conn: sqlite3.Connection, token_id: int, at: float, address: str) -> None:
    """Note when and from where a token was last used."""
    write_scope.rows(conn)
    conn.execute(
        "UPDATE tokens SET last_used_at = ?, last_address = ? WHERE id = ?",
        (at, address, token_id),
    )
