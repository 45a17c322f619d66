"""Provider, credentials and relay-secret operations of the SQLite store."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from server_stub.store.records import EncryptedCredentials, ProviderRecord
from server_stub.webhooks.sqlite_endpoints import reencrypt_endpoint_secrets

SECRET_COLUMNS = ("mpesa_consumer_key", "mpesa_consumer_secret", "mpesa_passkey")
PROVIDER_COLUMNS = (
    "id, name, created_at, mpesa_consumer_key, mpesa_consumer_secret, mpesa_passkey, "
    "mpesa_shortcode, mpesa_environment, account_type, till_number, callback_url, "
    "mpesa_credentials_verified, mpesa_last_test, mpesa_test_status, prompt_proven_at, "
    "credentials_saved_at, credentials_digest"
)


def select_provider(conn: sqlite3.Connection, provider_id: int) -> ProviderRecord | None:
    """One provider, or None."""
    row = conn.execute(
        f"SELECT {PROVIDER_COLUMNS} FROM providers WHERE id = ?",  # noqa: S608 - constant
        (provider_id,),
    ).fetchone()
    if row is None:
        return None
    credentials = None
    if row[3] is not None:
        credentials = EncryptedCredentials(
            consumer_key=row[3],
            consumer_secret=row[4],
            passkey=row[5],
            shortcode=row[6],
            environment=row[7],
            account_type=row[8],
            till_number=row[9],
            digest=row[16] or "",
        )
    return ProviderRecord(
        id=row[0],
        name=row[1],
        created_at=row[2],
        credentials=credentials,
        callback_url=row[10],
        credentials_verified=bool(row[11]),
        last_test=row[12],
        test_status=row[13],
        prompt_proven_at=row[14],
        credentials_saved_at=row[15],
    )


def save_credentials(
    conn: sqlite3.Connection,
    provider_id: int,
    stored: EncryptedCredentials,
    callback_url: str,
    saved_at: float,
) -> bool:
    """Replace the credentials and clear the verification fields; False if no such provider."""
    cursor = conn.execute(
        "UPDATE providers SET mpesa_consumer_key = ?, mpesa_consumer_secret = ?, "
        "mpesa_passkey = ?, mpesa_shortcode = ?, mpesa_environment = ?, "
        "account_type = ?, till_number = ?, callback_url = ?, "
        "mpesa_credentials_verified = 0, mpesa_last_test = NULL, "
        "mpesa_test_status = NULL, prompt_proven_at = NULL, credentials_digest = ?, "
        "credentials_saved_at = ? WHERE id = ?",
        (
            stored.consumer_key,
            stored.consumer_secret,
            stored.passkey,
            stored.shortcode,
            stored.environment,
            stored.account_type,
            stored.till_number,
            callback_url,
            stored.digest,
            saved_at,
            provider_id,
        ),
    )
    return cursor.rowcount == 1


def reencrypt_secrets(conn: sqlite3.Connection, rotate: Callable[[bytes], bytes]) -> int:
    """Pass every provider secret and relay secret through `rotate`; returns the count."""
    count = 0
    for column in SECRET_COLUMNS:
        rows = conn.execute(
            f"SELECT id, {column} FROM providers WHERE {column} IS NOT NULL"  # noqa: S608
        ).fetchall()
        for provider_id, value in rows:
            conn.execute(
                f"UPDATE providers SET {column} = ? WHERE id = ?",  # noqa: S608 - constant
                (rotate(value), provider_id),
            )
            count += 1
    for name, value in conn.execute("SELECT name, value FROM relay_secrets").fetchall():
        conn.execute("UPDATE relay_secrets SET value = ? WHERE name = ?", (rotate(value), name))
        count += 1
    return count + reencrypt_endpoint_secrets(conn, rotate)


def stored_secret(conn: sqlite3.Connection, name: str) -> bytes | None:
    """The stored (encrypted) value `name`, or None."""
    row = conn.execute("SELECT value FROM relay_secrets WHERE name = ?", (name,)).fetchone()
    return bytes(row[0]) if row is not None else None


def secret_setting(conn: sqlite3.Connection, name: str, make: Callable[[], bytes]) -> bytes:
    """The stored value `name`, inserted from `make()` when absent."""
    stored = stored_secret(conn, name)
    if stored is not None:
        return stored
    value = make()
    conn.execute("INSERT INTO relay_secrets (name, value) VALUES (?, ?)", (name, value))
    return value
