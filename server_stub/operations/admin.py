"""The operator's commands on the relay's store (DESIGN.md section 4), each returning JSON data.

Human sentences (warnings, what changed) go through `say`, which the CLI sends to stderr, so
stdout carries the JSON alone (DESIGN.md section 13, "CLI output").
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from bucket_desktop.services.credentials import CredentialsError, DarajaCredentials
from server_stub.audit.entries import Action, cli_audit, provider_created_detail
from server_stub.errors import RelayError
from server_stub.operations.settings import RelaySettings
from server_stub.operations.store_access import check_database_place, open_store
from server_stub.security.atrest import SecretBox, load_secret_box
from server_stub.security.relay_key import load_relay_key
from server_stub.security.tokens import new_token, token_hash
from server_stub.security.vault import CredentialVault
from server_stub.store.records import NewToken, Role
from server_stub.store.sqlite_store import SqliteStore

MAX_NAME = 100
MAX_CREDENTIALS_BYTES = 64 * 1024
# Daraja's own spike arrest refuses far sooner; this only catches a typing slip.
MAX_PUSHES_PER_MINUTE = 10_000
Say = Callable[[str], None]


class AdminError(ValueError):
    """A command that cannot be carried out; the message is for the operator."""


def _quiet(_: str) -> None:
    return None


async def check_startup(settings: RelaySettings, *, create: bool = False) -> dict[str, Any]:
    """Open the store and the relay key once, so `serve` fails early with a clear sentence."""
    box = _secret_box(settings, create=create)  # a missing key must not leave an empty database
    store = open_store(settings, create=create)
    try:
        relay_key = await load_relay_key(store, box)
        return _store_facts(settings, store) | {"relay_key_fingerprint": relay_key.fingerprint}
    finally:
        await store.close()


async def init_store(settings: RelaySettings) -> dict[str, Any]:
    """Create the database (production's first run) or report the existing one."""
    return await check_startup(settings, create=True)


async def create_provider(settings: RelaySettings, name: str) -> dict[str, Any]:
    """A provider with one owner and one attendant token, and the key desks will pin."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise AdminError(f"The provider name must be 1 to {MAX_NAME} printable characters.")
    box = _secret_box(settings)
    store = open_store(settings)
    try:
        relay_key = await load_relay_key(store, box)
        owner, attendant = new_token(), new_token()
        made = await store.create_provider_with_tokens(
            name,
            time.time(),
            [
                NewToken(token_hash(owner), Role.OWNER),
                NewToken(token_hash(attendant), Role.ATTENDANT),
            ],
            audit=cli_audit(
                lambda created: created.provider_id,
                Action.PROVIDER_CREATED,
                lambda created: provider_created_detail(name, created),
            ),
        )
    finally:
        await store.close()
    return {
        "provider_id": made.provider_id,
        "owner_token": owner,
        "attendant_token": attendant,
        "relay_key_fingerprint": relay_key.fingerprint,
    }


async def relay_fingerprint(settings: RelaySettings) -> dict[str, Any]:
    """The relay key's fingerprint, which owners compare at their first Push."""
    box = _secret_box(settings)
    store = open_store(settings)
    try:
        key = await load_relay_key(store, box)
    finally:
        await store.close()
    return {"relay_key_fingerprint": key.fingerprint}


async def issue_token(settings: RelaySettings, provider_id: int, role: Role) -> dict[str, Any]:
    """A new token for an existing provider."""
    store = open_store(settings)
    try:
        if await store.get_provider(provider_id) is None:
            raise AdminError(f"There is no provider {provider_id}.")
        token = new_token()
        token_id = await store.add_token(
            token_hash(token),
            provider_id,
            role,
            time.time(),
            audit=cli_audit(
                provider_id, Action.TOKEN_ISSUED, lambda new_id: f"{role.value} token {new_id}"
            ),
        )
        return {"token": token, "token_id": token_id}
    finally:
        await store.close()


async def create_admin(settings: RelaySettings, name: str) -> dict[str, Any]:
    """A platform administrator's token (DESIGN.md section 12), printed this once."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise AdminError(f"The administrator's name must be 1 to {MAX_NAME} printable characters.")
    store = open_store(settings)
    try:
        token = new_token()
        admin_id = await store.platform.add_admin_token(
            token_hash(token),
            name,
            time.time(),
            audit=cli_audit(
                None, Action.ADMIN_CREATED, lambda new_id: f"admin token {new_id} “{name}”"
            ),
        )
    finally:
        await store.close()
    return {"admin_id": admin_id, "token": token}


async def revoke_token(settings: RelaySettings, token: str, say: Say = _quiet) -> dict[str, Any]:
    """Revoke a token at once (the next request with it is refused)."""
    hashed = token_hash(token.strip())
    store = open_store(settings)
    try:
        revoked_at = await store.token_revoked_at(hashed)
        record = await store.find_token(hashed)
        if revoked_at is not None:
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(revoked_at))
            say(f"This token was already revoked on {when}; nothing changed.")
            return {"revoked": True, "already_revoked": True}
        if record is None or not await store.revoke_token(
            hashed,
            time.time(),
            audit=cli_audit(
                record.provider_id,
                Action.TOKEN_REVOKED,
                f"{record.role.value} token {record.id} “{record.name}”",
            ),
        ):
            raise AdminError("No such token: nothing was revoked.")
    finally:
        await store.close()
    return {"revoked": True, "already_revoked": False}


async def set_credentials(settings: RelaySettings, provider_id: int, raw: bytes) -> dict[str, Any]:
    """Store the credentials JSON (read from stdin) for a provider, encrypted."""
    credentials = _parse_credentials(raw)
    box = _secret_box(settings)
    store = open_store(settings)
    try:
        vault = CredentialVault(store, box, await load_relay_key(store, box), settings.base_url)
        try:
            await vault.save(
                provider_id, credentials, audit=cli_audit(provider_id, Action.CREDENTIALS_SAVED)
            )
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
    store = open_store(settings)
    try:
        detail = f"{per_minute} a minute" if per_minute else "the relay's default"
        if not await store.set_push_limit(
            provider_id,
            per_minute,
            audit=cli_audit(provider_id, Action.PUSH_LIMIT_CHANGED, detail),
        ):
            raise AdminError(f"There is no provider {provider_id}.")
    finally:
        await store.close()
    return {
        "provider_id": provider_id,
        "pushes_per_minute": per_minute or settings.pushes_per_minute,
    }


def _parse_credentials(raw: bytes) -> DarajaCredentials:
    if len(raw) > MAX_CREDENTIALS_BYTES:
        raise AdminError("The credentials JSON is too large.")
    if not raw.strip():
        raise AdminError(
            "No credentials JSON on stdin: pipe the file in, e.g. "
            "bucket-relay set-credentials --provider 1 < credentials.json."
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise AdminError("The credentials are not valid JSON.") from None
    if isinstance(data, dict):
        for name, label in (("shortcode", "The shortcode"), ("till_number", "The till number")):
            value = data.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                # A JSON number loses leading zeros; Daraja numbers are texts.
                raise AdminError(f'{label} must be written in quotes, e.g. "{name}": "174379".')
    try:
        return DarajaCredentials.from_dict(data)
    except CredentialsError as error:
        raise AdminError(str(error)) from None


async def rotate_key(settings: RelaySettings, say: Say = _quiet) -> dict[str, Any]:
    """Re-encrypt every stored secret with the newest ENCRYPTION_KEY, in one transaction."""
    box = _secret_box(settings)
    store = open_store(settings)
    try:
        count = await store.reencrypt_secrets(
            box.rotate,
            audit=cli_audit(
                None,
                Action.KEYS_ROTATED,
                lambda count: (
                    f"{count} secrets re-encrypted with the newest of {box.key_count} keys"
                ),
            ),
        )
    finally:
        await store.close()
    if box.key_count == 1:
        say(
            "ENCRYPTION_KEY holds one key, so nothing was rotated (the secrets were re-encrypted "
            "with the same key). To rotate: put a new key first, ENCRYPTION_KEY=NEW,OLD, "
            "restart the relay, run rotate-key, then remove OLD (docs/deploy.md)."
        )
    return {"reencrypted": count, "keys": box.key_count}


def _secret_box(settings: RelaySettings, *, create: bool = False) -> SecretBox:
    # The folder first: in development the key file is generated next to the database.
    if settings.database_dsn is None or not settings.production:
        # In development the key file is made in the data folder, whichever the database.
        check_database_place(settings.database_path, may_create=create or not settings.production)
    return load_secret_box(settings)


def _store_facts(settings: RelaySettings, store: SqliteStore) -> dict[str, Any]:
    return {
        "database": settings.database_label,
        "store_id": store.store_id,
        "schema_version": store.schema_version,
    }
