"""The store's identity: a uuid4 kept in the database (DESIGN.md section 13, "Store identity").

It is made once, when a database is created or first opened by a relay that knows about it, and
replaced only by `bucket-relay restore` (and a store migration): a desk that sees another
identity, or a cursor above the provider's last change, knows the relay's history was reset and
loads every payment again instead of waiting for sequence numbers it already saw.
"""

from __future__ import annotations

import sqlite3
import uuid

_NAME = "store_id"


def ensure_store_id(connection: sqlite3.Connection) -> str:
    """The database's identity, made now if it has none (connection in autocommit mode)."""
    found = read_store_id(connection)
    if found is not None:
        return found
    # Insert-if-absent under the write lock: a CLI command and `serve` may open a new database
    # at the same moment, and both must end up with the same identity.
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(
            "INSERT INTO store_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (_NAME, _new_id()),
        )
        connection.execute("COMMIT")
    except sqlite3.Error:
        connection.execute("ROLLBACK")
        raise
    found = read_store_id(connection)
    assert found is not None
    return found


def replace_store_id(connection: sqlite3.Connection) -> str:
    """Give the database a new identity (restore); returns it."""
    new = _new_id()
    with connection:
        connection.execute(
            "INSERT INTO store_meta (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (_NAME, new),
        )
    return new


def read_store_id(connection: sqlite3.Connection) -> str | None:
    """The identity, or None for a database that has none yet (or predates identities)."""
    try:
        row = connection.execute("SELECT value FROM store_meta WHERE name = ?", (_NAME,)).fetchone()
    except sqlite3.OperationalError:
        return None  # no store_meta table: a backup from before identities existed
    return str(row[0]) if row else None


def _new_id() -> str:
    return str(uuid.uuid4())
