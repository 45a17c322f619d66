"""The audit log in SQLite: written by the changes it records, read newest first.

An entry is never appended on its own: each audited store write wraps its operation with
`audited`, which inserts the entry in the operation's own savepoint of the writer's group, so
the change and its entry commit together or not at all. The table's triggers refuse UPDATE and
DELETE (schema version 6), so this module only inserts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar, overload

from server_stub.audit.entries import Actor, Audit, AuditEntry

T = TypeVar("T")

AUDIT_COLUMNS = "id, at, actor_token_id, actor_name, role, address, provider_id, action, detail"


def entry_from_row(row: tuple[Any, ...]) -> AuditEntry:
    """An AuditEntry from a row selected with AUDIT_COLUMNS."""
    return AuditEntry(
        id=row[0],
        at=row[1],
        actor=Actor(token_id=row[2], name=row[3], role=row[4], address=row[5]),
        provider_id=row[6],
        action=row[7],
        detail=row[8],
    )


def insert_entry(conn: sqlite3.Connection, entry: AuditEntry) -> int:
    """Append one entry; returns its id."""
    entry = entry.trimmed()
    cursor = conn.execute(
        "INSERT INTO audit_log (at, actor_token_id, actor_name, role, address, provider_id, "
        "action, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.at,
            entry.actor.token_id,
            entry.actor.name,
            entry.actor.role,
            entry.actor.address,
            entry.provider_id,
            entry.action,
            entry.detail,
        ),
    )
    return int(cursor.lastrowid or 0)


@overload
def audited(
    operation: Callable[[sqlite3.Connection], T], audit: Audit[T] | None
) -> Callable[[sqlite3.Connection], T]: ...


@overload
def audited(
    operation: Callable[[sqlite3.Connection], T | None], audit: Audit[T] | None
) -> Callable[[sqlite3.Connection], T | None]: ...


def audited(
    operation: Callable[[sqlite3.Connection], T | None], audit: Audit[T] | None
) -> Callable[[sqlite3.Connection], T | None]:
    """`operation`, then (when it changed something) its audit entry, in the same savepoint.

    The writer runs an operation inside its own SAVEPOINT and rolls it back whole when it
    raises: an entry that cannot be inserted undoes its change too. A result of None or False
    means "nothing changed" (no such row, already so), and leaves no entry. (Bind the result
    to a name before `writer.run` when the operation may return None: mypy infers the audit's
    type from the return context otherwise.)
    """
    if audit is None:
        return operation

    def with_entry(conn: sqlite3.Connection) -> T | None:
        result = operation(conn)
        if result is not None and result is not False:
            insert_entry(conn, audit.entry(result))
        return result

    return with_entry


class SqliteAudit:
    """Filtered reads of the audit log (entries are written by `audited` store writes)."""

    def __init__(self, read: sqlite3.Connection) -> None:
        self._read = read

    async def entries(
        self,
        *,
        provider_id: int | None = None,
        action: str | None = None,
        after: int = 0,
        before: int | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Entries matching the filters, newest first (ids above `after`, below `before`)."""
        where = ["id > ?"]
        values: list[Any] = [after]
        if before is not None:
            where.append("id < ?")
            values.append(before)
        if provider_id is not None:
            where.append("provider_id = ?")
            values.append(provider_id)
        if action is not None:
            # "plan" matches every plan.* action; "plan.created" matches itself.
            where.append("(action = ? OR action LIKE ? ESCAPE '\\')")
            values.extend([action, _escape_like(action) + ".%"])
        rows = self._read.execute(
            f"SELECT {AUDIT_COLUMNS} FROM audit_log WHERE {' AND '.join(where)} "  # noqa: S608
            "ORDER BY id DESC LIMIT ?",
            (*values, limit),
        ).fetchall()
        return [entry_from_row(row) for row in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
