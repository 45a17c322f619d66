"""FreeRADIUS's PostgreSQL database (`RADIUS_DATABASE_URL=postgresql://...`), through psycopg 3.

psycopg is imported when the first connection is made: a relay installed without the
radius-postgresql extra imports this module like every other and never needs the driver. The
address may hold a password, so it never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import urlsplit

from server_stub.access.outbox import DeliveryFailed, TargetUnreachable
from server_stub.radius.database import Cursor, Statements, schema_missing
from server_stub.radius.rows import RadiusUser

CONNECT_TIMEOUT_S = 10
_STATEMENTS = Statements("%s")

_Work = Callable[[Cursor], None]


class PostgresRadiusDatabase:
    """The user rows of access codes in FreeRADIUS's PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self._url = url
        parts = urlsplit(url)
        # Where, without the login: for sentences and logs.
        self.where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"

    def __repr__(self) -> str:
        return f"PostgresRadiusDatabase({self.where!r})"

    async def put(self, user: RadiusUser) -> None:
        """Write (or rewrite) the user's rows; DeliveryFailed says why not in one sentence."""
        await asyncio.to_thread(self._run, user.username, lambda c: _STATEMENTS.put(c, user))

    async def remove(self, username: str, nas_identifier: str) -> None:
        """Delete the user's rows (if they are this provider's); nothing to delete is fine."""
        await asyncio.to_thread(
            self._run, username, lambda c: _STATEMENTS.remove(c, username, nas_identifier)
        )

    async def check(self) -> str | None:
        """None when the database answers and has FreeRADIUS's tables, else the problem."""
        try:
            await asyncio.to_thread(self._run, None, _STATEMENTS.check)
        except DeliveryFailed as problem:
            return problem.message
        return None

    def _run(self, username: str | None, work: _Work) -> None:
        import psycopg
        from psycopg import errors as pg_errors

        try:
            conn = psycopg.connect(self._url, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error:
            raise TargetUnreachable(
                f"The RADIUS database at {self.where} cannot be reached or refused the login: "
                "check RADIUS_DATABASE_URL and that PostgreSQL is running."
            ) from None
        try:
            with conn.transaction(), conn.cursor() as cursor:
                if username is not None:
                    # One writer per code at a time, even with several relays on the database.
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (username,))
                work(cursor)
        except pg_errors.UndefinedTable:
            raise schema_missing(self.where) from None
        except psycopg.OperationalError:
            raise TargetUnreachable(
                f"The connection to the RADIUS database at {self.where} failed; the relay "
                "tries again."
            ) from None
        except psycopg.Error as error:
            code = error.sqlstate or "unknown"
            raise DeliveryFailed(
                f"The RADIUS database at {self.where} refused the write (SQLSTATE {code})."
            ) from None
        finally:
            conn.close()
