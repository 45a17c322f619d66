"""Access codes and the per-provider keys behind them (DESIGN.md section 13, "Access codes")."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from server_stub.access.codes import ALPHABET, CODE_LENGTH, access_code
from server_stub.access.keys import AccessKeyring, secret_name
from server_stub.security.atrest import SecretBox, load_secret_box
from server_stub.store.sqlite_providers import secret_setting
from tests.server_stub.inprocess import (
    InProcessRelay,
    SeededPush,
    as_bytes,
    new_provider,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)
from tests.server_stub.stores import open_store, settings_sql, store_sql


def test_a_code_is_eight_unambiguous_characters_and_the_same_on_every_retry() -> None:
    key = bytes(range(32))
    code = access_code(key, "ws_CO_191220191020363925")
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(ALPHABET)
    assert not set(code) & set("01OIL")
    assert access_code(key, "ws_CO_191220191020363925") == code


def test_codes_never_change_from_one_version_to_the_next() -> None:
    # A code already given out must come out the same after any change to how it is computed
    # (a retry after an upgrade): these were made by the first version.
    key = bytes(range(32))
    assert access_code(key, "ws_CO_191220191020363925") == "JGF42SSS"
    assert access_code(key, "ws_CO_191220191020363925", 1) == "2JBQ7NTP"
    assert access_code(key, "ws_CO_1") == "7KNK78AS"


def test_codes_differ_by_payment_by_provider_key_and_by_rehash() -> None:
    key, other_key = bytes(32), bytes([1] * 32)
    codes = {
        access_code(key, "ws_1"),
        access_code(key, "ws_2"),
        access_code(other_key, "ws_1"),
        access_code(key, "ws_1", 1),
        access_code(key, "ws_1", 2),
    }
    assert len(codes) == 5


async def test_the_provider_key_is_made_once_and_stored_encrypted(tmp_path: Path) -> None:
    box = SecretBox([Fernet.generate_key()])
    store = open_store(tmp_path / "relay.db", lambda: 0.0)
    made: list[bytes] = []

    def stored(make: object) -> bytes:
        return store_value(tmp_path / "relay.db", make, made)

    first = AccessKeyring(box).key(7, stored)
    again = AccessKeyring(box).key(7, stored)  # a restarted relay reads the same key
    await store.close()
    assert first == again and len(first) == 32
    [(value,)] = store_sql(
        tmp_path / "relay.db", "SELECT value FROM relay_secrets WHERE name = ?", (secret_name(7),)
    )
    assert first not in bytes(value)
    assert box.decrypt(bytes(value)) == first
    assert len(made) == 1
    assert first.hex() not in repr(AccessKeyring(box))


def store_value(path: Path, make: object, made: list[bytes]) -> bytes:
    """The relay secret for provider 7, inserted on first use (as the store does)."""
    assert callable(make)
    rows = store_sql(path, "SELECT value FROM relay_secrets WHERE name = ?", (secret_name(7),))
    if rows:
        return bytes(rows[0][0])
    value = make()
    made.append(value)
    store_sql(path, "INSERT INTO relay_secrets VALUES (?, ?)", (secret_name(7), value))
    return bytes(value)


async def test_a_code_held_by_another_payment_is_rehashed_and_a_retry_makes_none(
    tmp_path: Path,
) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        provider = await new_provider(settings)
        provider_id = provider["provider_id"]
        await relay.store.set_access_at_callback(provider_id, True)
        first, second, holder = await seed_pushes(relay.store, provider_id, 3)
        await _pay(relay, first, "SBC0000001")  # makes the provider's key
        [(stored,)] = settings_sql(
            settings, "SELECT value FROM relay_secrets WHERE name = ?", (secret_name(provider_id),)
        )
        key = load_secret_box(settings).decrypt(bytes(stored))
        taken = access_code(key, second.checkout_request_id)
        # Another payment already holds the code `second` would get (31^8 codes make this rare).
        settings_sql(
            settings,
            "INSERT INTO access (provider_id, payment_id, code, starts_at, state, created_at, "
            "updated_at) SELECT provider_id, id, ?, 0, 'delivered', 0, 0 FROM payments "
            "WHERE checkout_request_id = ?",
            (taken, holder.checkout_request_id),
        )
        await _pay(relay, second, "SBC0000002")
        await _pay(relay, second, "SBC0000002")  # Safaricom's retry: no second code
    rows = settings_sql(
        settings,
        "SELECT p.checkout_request_id, a.code FROM access a JOIN payments p "
        "ON p.id = a.payment_id ORDER BY a.id",
    )
    assert rows == [
        (first.checkout_request_id, access_code(key, first.checkout_request_id)),
        (holder.checkout_request_id, taken),
        (second.checkout_request_id, access_code(key, second.checkout_request_id, 1)),
    ]


async def _pay(relay: InProcessRelay, push: SeededPush, receipt: str) -> None:
    answer = await relay.client.post(
        push.callback_path,
        content=as_bytes(paid_callback(push, receipt)),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200


async def test_a_key_made_in_work_that_was_rolled_back_is_never_used(tmp_path: Path) -> None:
    # The first use of a provider's key makes it inside a transaction; when that work is undone
    # the key is gone with it, and the codes that follow must come from the key the store keeps
    # (a retry after a restart gives the same code).
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        provider_id = (await new_provider(settings))["provider_id"]
        await relay.store.set_access_at_callback(provider_id, True)
        [push] = await seed_pushes(relay.store, provider_id, 1)
        keyring = relay.store._access_keys()

        def make_key_then_fail(conn: sqlite3.Connection) -> None:
            keyring.key(
                provider_id, lambda make: secret_setting(conn, secret_name(provider_id), make)
            )
            raise RuntimeError("the rest of this work failed")

        with pytest.raises(RuntimeError):
            await relay.store._writer.run(make_key_then_fail)
        assert (
            settings_sql(settings, "SELECT name FROM relay_secrets WHERE name LIKE 'access%'") == []
        )
        await _pay(relay, push, "SBK0000001")
        [(stored,)] = settings_sql(
            settings, "SELECT value FROM relay_secrets WHERE name = ?", (secret_name(provider_id),)
        )
    key = load_secret_box(settings).decrypt(bytes(stored))
    [(code,)] = settings_sql(settings, "SELECT code FROM access")
    assert code == access_code(key, push.checkout_request_id)
