"""Access codes and the per-provider keys behind them (DESIGN.md section 13, "Access codes")."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from server_stub.access.codes import ALPHABET, CODE_LENGTH, access_code
from server_stub.access.keys import AccessKeyring, secret_name
from server_stub.security.atrest import SecretBox
from tests.server_stub.stores import open_store, store_sql


def test_a_code_is_eight_unambiguous_characters_and_the_same_on_every_retry() -> None:
    key = bytes(range(32))
    code = access_code(key, "ws_CO_191220191020363925")
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(ALPHABET)
    assert not set(code) & set("01OIL")
    assert access_code(key, "ws_CO_191220191020363925") == code


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
