"""One Daraja OAuth token per app for all relay instances on one PostgreSQL database.

Daraja may invalidate an app's previous token when it issues a new one (DARAJA.md), so N
instances each signing in would spoil each other's tokens. The token is kept in the database,
encrypted with the relay's key; an instance that finds none fresh takes the app's advisory lock
(on a connection of its own, as the sign-in is an HTTP call), looks again, and only then signs
in; the others wait for the lock and find the new token.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from server_stub.security.atrest import SecretBox
from server_stub.store.postgres.adapter import CONNECTION_OPTIONS

_KEY_BASE = 0x5044_0000  # "PD" then the app's hash
LOCK_TIMEOUT_S = 60.0


class SharedDarajaTokens:
    """`bucket_desktop.services.daraja_client.SharedTokens` on the relay's PostgreSQL."""

    def __init__(self, dsn: str, box: SecretBox, clock: Callable[[], float] = time.time) -> None:
        self._dsn = dsn
        self._box = box
        self._clock = clock

    def __repr__(self) -> str:
        return "SharedDarajaTokens(<address hidden>)"

    async def token(
        self, app: str, sign_in: Callable[[], Awaitable[tuple[str, float]]]
    ) -> tuple[str, float]:
        """The app's fresh shared token and its seconds left; signs in under the app's lock."""
        conn = await asyncio.to_thread(self._connect)
        try:
            found = await asyncio.to_thread(self._fresh, conn, app)
            if found is not None:
                return found
            lock = _key(app)
            await asyncio.to_thread(conn.execute, "SELECT pg_advisory_lock(%s)", (lock,))
            try:
                found = await asyncio.to_thread(self._fresh, conn, app)
                if found is not None:
                    return found  # another instance signed in while this one waited
                token, fresh_for = await sign_in()
                await asyncio.to_thread(self._keep, conn, app, token, fresh_for)
                return token, fresh_for
            finally:
                await asyncio.to_thread(conn.execute, "SELECT pg_advisory_unlock(%s)", (lock,))
        finally:
            await asyncio.to_thread(conn.close)

    async def forget(self, app: str, token: str) -> None:
        """Drop the app's token if it is still this rejected one."""

        def drop() -> None:
            with self._connect() as conn:
                row = conn.execute(
                    "SELECT token FROM daraja_tokens WHERE app = %s", (app,)
                ).fetchone()
                if row is not None and self._box.decrypt(bytes(row[0])).decode() == token:
                    conn.execute("DELETE FROM daraja_tokens WHERE app = %s", (app,))

        await asyncio.to_thread(drop)

    def _connect(self) -> psycopg.Connection[Any]:
        options = {**CONNECTION_OPTIONS, "options": f"-c lock_timeout={int(LOCK_TIMEOUT_S)}s"}
        return psycopg.connect(self._dsn, connect_timeout=10, **options)

    def _fresh(self, conn: psycopg.Connection[Any], app: str) -> tuple[str, float] | None:
        row = conn.execute(
            "SELECT token, refresh_at FROM daraja_tokens WHERE app = %s", (app,)
        ).fetchone()
        if row is None or float(row[1]) <= self._clock():
            return None
        return self._box.decrypt(bytes(row[0])).decode(), float(row[1]) - self._clock()

    def _keep(self, conn: psycopg.Connection[Any], app: str, token: str, fresh_for: float) -> None:
        conn.execute(
            "INSERT INTO daraja_tokens (app, token, refresh_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (app) DO UPDATE SET token = excluded.token, "
            "refresh_at = excluded.refresh_at",
            (app, self._box.encrypt(token.encode()), self._clock() + fresh_for),
        )


def _key(app: str) -> int:
    return _KEY_BASE + zlib.crc32(app.encode()) % 0xFFFF
