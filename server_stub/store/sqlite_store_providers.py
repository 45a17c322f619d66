"""The SQLite store's operations on providers: their credentials, settings and tokens.

`ProviderOperations` is a base of `SqliteStore` (and so of the PostgreSQL store): its methods are
the `Store` protocol's provider and token methods, reading on the read connection and writing
through the group-commit writer; the SQL they share lives in `sqlite_providers` and
`sqlite_tokens`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from server_stub.audit.entries import Audit
from server_stub.store import sqlite_payments as payments
from server_stub.store import sqlite_providers as providers
from server_stub.store import sqlite_tokens as tokens
from server_stub.store.records import (
    CreatedProvider,
    EncryptedCredentials,
    NewToken,
    ProviderRecord,
    Role,
    TokenRecord,
)
from server_stub.store.sqlite_audit import audited
from server_stub.store.writer import GroupCommitWriter


class ProviderOperations:
    """Providers and their tokens: reads on `_read`, writes through `_writer`."""

    # Set by SqliteStore._assemble.
    _writer: GroupCommitWriter
    _read: sqlite3.Connection
    _clock: Callable[[], float]

    async def create_provider(self, name: str, created_at: float) -> int:
        """A new provider; returns its id."""

        def insert(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO providers (name, created_at) VALUES (?, ?)", (name, created_at)
            )
            return int(cursor.lastrowid or 0)

        return await self._writer.run(insert)

    async def create_provider_with_tokens(
        self,
        name: str,
        created_at: float,
        new_tokens: Sequence[NewToken],
        *,
        audit: Audit[CreatedProvider] | None = None,
    ) -> CreatedProvider:
        """A new provider with its first tokens, in one transaction."""

        def insert(conn: sqlite3.Connection) -> CreatedProvider:
            cursor = conn.execute(
                "INSERT INTO providers (name, created_at) VALUES (?, ?)", (name, created_at)
            )
            provider_id = int(cursor.lastrowid or 0)
            token_ids = tuple(
                tokens.insert_token(
                    conn, new.token_hash, provider_id, new.role, _name(new), created_at
                )
                for new in new_tokens
            )
            return CreatedProvider(provider_id, token_ids)

        return await self._writer.run(audited(insert, audit))

    async def get_provider(self, provider_id: int) -> ProviderRecord | None:
        """One provider, or None."""
        return providers.select_provider(self._read, provider_id)

    async def save_credentials(
        self,
        provider_id: int,
        credentials: EncryptedCredentials,
        callback_url: str,
        *,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Replace a provider's credentials and clear the verification fields."""
        now = self._clock()

        def save(conn: sqlite3.Connection) -> bool:
            return providers.save_credentials(conn, provider_id, credentials, callback_url, now)

        return await self._writer.run(audited(save, audit))

    async def record_credentials_test(
        self,
        provider_id: int,
        *,
        verified: bool,
        tested_at: float,
        status: str,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Keep the outcome of a credentials test; False when there is no such provider."""

        def update(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE providers SET mpesa_credentials_verified = ?, mpesa_last_test = ?, "
                "mpesa_test_status = ? WHERE id = ?",
                (int(verified), tested_at, status, provider_id),
            )
            return cursor.rowcount == 1

        return await self._writer.run(audited(update, audit))

    async def reencrypt_secrets(
        self, rotate: Callable[[bytes], bytes], *, audit: Audit[int] | None = None
    ) -> int:
        """Re-encrypt every provider secret and relay secret in one transaction."""
        return await self._writer.run(
            audited(lambda conn: providers.reencrypt_secrets(conn, rotate), audit)
        )

    async def secret_setting(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The stored value `name`, created with `make` once (first writer wins)."""
        return await self._writer.run(lambda conn: providers.secret_setting(conn, name, make))

    async def push_limit(self, provider_id: int) -> int | None:
        """The provider's own STK pushes-per-minute limit, or None for the relay's default."""
        row = self._read.execute(
            "SELECT pushes_per_minute FROM providers WHERE id = ?", (provider_id,)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    async def set_push_limit(
        self, provider_id: int, per_minute: int | None, *, audit: Audit[bool] | None = None
    ) -> bool:
        """Set (None: clear) the provider's push limit; False when there is no such provider."""

        def update(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE providers SET pushes_per_minute = ? WHERE id = ?",
                (per_minute, provider_id),
            )
            return cursor.rowcount == 1

        return await self._writer.run(audited(update, audit))

    async def access_at_callback(self, provider_id: int) -> bool:
        """Whether the provider gives access at the callback, before confirmation."""
        return payments.access_at_callback(self._read, provider_id)

    async def set_access_at_callback(self, provider_id: int, enabled: bool) -> None:
        """Switch access at the callback on or off for the provider."""

        def update(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE providers SET access_at_callback = ? WHERE id = ?",
                (int(enabled), provider_id),
            )

        await self._writer.run(update)

    async def add_token(
        self,
        token_hash: str,
        provider_id: int,
        role: Role,
        created_at: float,
        name: str = "",
        *,
        audit: Audit[int] | None = None,
    ) -> int:
        """Store a new token's hash; returns its id."""
        name = _name(NewToken("", role, name))

        def insert(conn: sqlite3.Connection) -> int:
            return tokens.insert_token(conn, token_hash, provider_id, role, name, created_at)

        return await self._writer.run(audited(insert, audit))

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, or None."""
        return tokens.select_by_hash(self._read, token_hash)

    async def provider_tokens(self, provider_id: int) -> list[TokenRecord]:
        """The provider's tokens that are not revoked, oldest first."""
        return tokens.select_of_provider(self._read, provider_id)

    async def rename_token(
        self, provider_id: int, token_id: int, name: str, *, audit: Audit[bool] | None = None
    ) -> bool:
        """Rename one of the provider's tokens; False when it has no such live token."""
        return await self._writer.run(
            audited(lambda conn: tokens.rename(conn, provider_id, token_id, name), audit)
        )

    async def revoke_token_id(
        self,
        provider_id: int,
        token_id: int,
        revoked_at: float,
        *,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Revoke one of the provider's tokens; False when it has no such live token."""
        return await self._writer.run(
            audited(
                lambda conn: tokens.revoke_by_id(conn, provider_id, token_id, revoked_at), audit
            )
        )

    async def touch_token(self, token_id: int, used_at: float, address: str) -> None:
        """Note when and from where a token was last used."""
        await self._writer.run(lambda conn: tokens.touch(conn, token_id, used_at, address))

    async def mark_prompt_proven(self, provider_id: int, at: float) -> None:
        """Daraja accepted a test prompt sent with the provider's current credentials."""

        def update(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE providers SET prompt_proven_at = ? WHERE id = ?", (at, provider_id)
            )

        await self._writer.run(update)

    async def token_revoked_at(self, token_hash: str) -> float | None:
        """When a token was revoked, or None (never revoked, or no such token)."""
        row = self._read.execute(
            "SELECT revoked_at FROM tokens WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def revoke_token(
        self, token_hash: str, revoked_at: float, *, audit: Audit[bool] | None = None
    ) -> bool:
        """Revoke a token; False when no such token exists."""

        def update(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE token_hash = ?",
                (revoked_at, token_hash),
            )
            return cursor.rowcount == 1

        return await self._writer.run(audited(update, audit))


def _name(token: NewToken) -> str:
    return token.name or ("Owner" if token.role is Role.OWNER else "Attendant desk")
