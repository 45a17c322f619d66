"""FreeRADIUS's SQL database, written by the relay's RADIUS worker (never inside a relay
transaction: the relay's claim has committed before this runs, and its report commits after).

Writes are idempotent by access code: a user's rows are replaced whole in one transaction, so a
retry after a crash leaves exactly one set. FreeRADIUS reads the rows at each login, so a change
applies at once, with no reload. The schema is FreeRADIUS's own (`schema.sql`, docs/deploy.md).
SQLite (`sqlite_database.py`) and PostgreSQL (`postgres_database.py`) share the statements here.
"""

from __future__ import annotations

from typing import Any, Protocol

from server_stub.access.outbox import DeliveryFailed
from server_stub.radius.rows import RadiusUser

USER_TABLES = ("radcheck", "radreply", "radusergroup")


class Cursor(Protocol):
    """The DB-API cursor both drivers give (sqlite3 and psycopg)."""

    def execute(self, sql: str, params: Any = ..., /) -> Any:
        """Run one statement."""

    def executemany(self, sql: str, params: Any, /) -> Any:
        """Run one statement for each parameter row."""

    def fetchone(self) -> Any:
        """The next row, or None."""


class RadiusDatabase(Protocol):
    """FreeRADIUS's user rows, whichever database holds them."""

    async def put(self, user: RadiusUser) -> None:
        """Write (or rewrite) the user's rows; DeliveryFailed says why not in one sentence."""

    async def remove(self, username: str, nas_identifier: str) -> None:
        """Delete the user's rows (if they are this provider's); nothing to delete is fine."""

    async def check(self) -> str | None:
        """None when the database answers and has FreeRADIUS's tables, else the problem."""


class Statements:
    """The writes, in one driver's parameter style (`?` for sqlite3, `%s` for psycopg)."""

    def __init__(self, mark: str) -> None:
        self._mark = mark

    def _sql(self, text: str) -> str:
        return text.replace("?", self._mark)

    def put(self, cursor: Cursor, user: RadiusUser) -> None:
        """Replace the user's rows (refusing another provider's user of the same name)."""
        owner = self._owner(cursor, user.username)
        if owner is not None and owner != user.nas_identifier:
            # Codes are unique per provider, not across the relay: a clash is one in billions,
            # but another provider's customer must never lose (or share) their login over it.
            raise DeliveryFailed(
                f"The code {user.username} is already in use at another provider's hotspot on "
                "this RADIUS server; give the customer a new code."
            )
        self._delete(cursor, user.username)
        cursor.executemany(
            self._sql("INSERT INTO radcheck (username, attribute, op, value) VALUES (?, ?, ?, ?)"),
            [(user.username, *row) for row in user.check],
        )
        if user.reply:
            cursor.executemany(
                self._sql(
                    "INSERT INTO radreply (username, attribute, op, value) VALUES (?, ?, ?, ?)"
                ),
                [(user.username, *row) for row in user.reply],
            )
        cursor.execute(
            self._sql("INSERT INTO radusergroup (username, groupname, priority) VALUES (?, ?, 1)"),
            (user.username, user.group),
        )

    def remove(self, cursor: Cursor, username: str, nas_identifier: str) -> None:
        """Delete the user's rows when they are this provider's (or nobody's)."""
        if self._owner(cursor, username) in (None, nas_identifier):
            self._delete(cursor, username)

    def check(self, cursor: Cursor) -> None:
        """Touch every table the relay writes (an error says which is missing)."""
        for table in USER_TABLES:
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - fixed names
            cursor.fetchone()

    def _owner(self, cursor: Cursor, username: str) -> str | None:
        cursor.execute(
            self._sql(
                "SELECT value FROM radcheck WHERE username = ? AND attribute = 'NAS-Identifier'"
            ),
            (username,),
        )
        row = cursor.fetchone()
        if row is not None:
            return str(row[0])
        # Rows without our condition were not written by a relay: treat them as someone else's.
        cursor.execute(self._sql("SELECT 1 FROM radcheck WHERE username = ?"), (username,))
        return "" if cursor.fetchone() is not None else None

    def _delete(self, cursor: Cursor, username: str) -> None:
        for table in USER_TABLES:
            cursor.execute(self._sql(f"DELETE FROM {table} WHERE username = ?"), (username,))  # noqa: S608


def schema_missing(where: str) -> DeliveryFailed:
    """The database answers but lacks FreeRADIUS's tables."""
    return DeliveryFailed(
        f"The RADIUS database {where} has no FreeRADIUS tables: create them with FreeRADIUS's "
        "schema.sql (docs/deploy.md)."
    )
