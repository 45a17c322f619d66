"""The operator's commands on the relay's store (DESIGN.md section 4), each returning JSON data."""

from __future__ import annotations

import time
from typing import Any

from bucket_desktop.services.credentials import CredentialsError, DarajaCredentials
from server_stub.atrest import load_secret_box
from server_stub.errors import RelayError
from server_stub.relay_key import load_relay_key
from server_stub.settings import RelaySettings
from server_stub.store.records import Role
from server_stub.store.sqlite_store import SqliteStore
from server_stub.tokens import new_token, token_hash
from server_stub.vault import CredentialVault

MAX_NAME = 100
MAX_CREDENTIALS_BYTES = 64 * 1024
# Daraja's own spike arrest refuses far sooner; this only catches a typing slip.
MAX_PUSHES_PER_MINUTE = 10_000


class AdminError(ValueError):
    """A command that cannot be carried out; the message is for the operator."""


def _open(settings: RelaySettings) -> SqliteStore:
    return SqliteStore(settings.database_path, time.time)


async def check_startup(settings: RelaySettings) -> None:
    """Open the store and the relay key once, so `serve` fails early with a clear sentence."""
    box = load_secret_box(settings)
    store = _open(settings)
    try:
        await load_relay_key(store, box)
    finally:
        await store.close()


async def create_provider(settings: RelaySettings, name: str) -> dict[str, Any]:
    """A provider with one owner and one attendant token."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise AdminError(f"The provider name must be 1 to {MAX_NAME} printable characters.")
    store = _open(settings)
    try:
        provider_id = await store.create_provider(name, time.time())
        owner = await _issue(store, provider_id, Role.OWNER)
        attendant = await _issue(store, provider_id, Role.ATTENDANT)
    finally:
        await store.close()
    return {"provider_id": provider_id, "owner_token": owner, "attendant_token": attendant}


async def issue_token(settings: RelaySettings, provider_id: int, role: Role) -> dict[str, Any]:
    """A new token for an existing provider."""
    store = _open(settings)
    try:
        if await store.get_provider(provider_id) is None:
            raise AdminError(f"There is no provider {provider_id}.")
        return {"token": await _issue(store, provider_id, role)}
    finally:
        await store.close()


async def revoke_token(settings: RelaySettings, token: str) -> dict[str, Any]:
    """Revoke a token at once (the next request with it is refused)."""
    store = _open(settings)
    try:
        if not await store.revoke_token(token_hash(token.strip()), time.time()):
            raise AdminError("No such token: nothing was revoked.")
    finally:
        await store.close()
    return {"revoked": True}


async def set_credentials(settings: RelaySettings, provider_id: int, raw: bytes) -> dict[str, Any]:
    """Store the credentials JSON (read from stdin) for a provider, encrypted."""
    if len(raw) > MAX_CREDENTIALS_BYTES:
        raise AdminError("The credentials JSON is too large.")
    try:
        credentials = DarajaCredentials.from_json(raw)
    except CredentialsError as error:
        raise AdminError(str(error)) from None
    box = load_secret_box(settings)
    store = _open(settings)
    try:
        vault = CredentialVault(store, box, await load_relay_key(store, box), settings.base_url)
        try:
            await vault.save(provider_id, credentials)
        except RelayError as error:
            raise AdminError(error.message) from None
        return {
            "provider_id": provider_id,
            "shortcode": credentials.shortcode,
            "environment": credentials.environment.value,
            "account_type": credentials.account_type.value,
            "till_number": credentials.till_number,
            "callback_url": vault.callback_base(provider_id),
        }
    finally:
        await store.close()


async def set_push_limit(
    settings: RelaySettings, provider_id: int, per_minute: int | None
) -> dict[str, Any]:
    """Give a provider its own STK pushes-per-minute limit (None: back to the relay's default)."""
    if per_minute is not None and not 1 <= per_minute <= MAX_PUSHES_PER_MINUTE:
        raise AdminError(
            f"The push limit must be a whole number from 1 to {MAX_PUSHES_PER_MINUTE} a minute."
        )
    store = _open(settings)
    try:
        if not await store.set_push_limit(provider_id, per_minute):
            raise AdminError(f"There is no provider {provider_id}.")
    finally:
        await store.close()
    return {
        "provider_id": provider_id,
        "pushes_per_minute": per_minute or settings.pushes_per_minute,
    }


async def rotate_key(settings: RelaySettings) -> dict[str, Any]:
    """Re-encrypt every stored secret with the newest ENCRYPTION_KEY, in one transaction."""
    box = load_secret_box(settings)
    store = _open(settings)
    try:
        count = await store.reencrypt_secrets(box.rotate)
    finally:
        await store.close()
    return {"reencrypted": count, "keys": box.key_count}


async def _issue(store: SqliteStore, provider_id: int, role: Role) -> str:
    token = new_token()
    await store.add_token(token_hash(token), provider_id, role, time.time())
    return token
