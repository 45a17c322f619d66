"""The audit log in SQLite: appended through the writer, read newest first.

The table's triggers refuse UPDATE and DELETE (schema version 6), so this module only inserts.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from server_stub.audit.entries import Actor, AuditEntry
from server_stub.store.writer import GroupCommitWriter

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


class SqliteAudit:
    """Appends (durably, through the writer) and filtered reads of the audit log."""

    def __init__(self, writer: GroupCommitWriter, read: sqlite3.Connection) -> None:
        self._writer = writer
        self._read = read

    async def append(self, entry: AuditEntry) -> int:
        """Store one entry; returns its id once it is on disk."""
        return await self._writer.run(lambda conn: insert_entry(conn, entry))

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
