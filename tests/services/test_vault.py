"""Vault: encrypted credentials on disk, atomic writes, wrong or missing keys destroy nothing."""

from __future__ import annotations

import pytest

from bucket_desktop.services.credentials import AccountType, DarajaCredentials
from bucket_desktop.services.vault import Vault, VaultError, VaultLocked, new_vault_key

CREDS = DarajaCredentials(
    consumer_key="ckey-1234567890",
    consumer_secret="csecret-0987654321",
    shortcode="174380",
    passkey="passkey-abcdef",
    account_type=AccountType.TILL,
    till_number="5174380",
)


def test_round_trip_keeps_every_field_and_no_plaintext(tmp_path) -> None:
    vault = Vault(tmp_path / "credentials.vault")
    key = new_vault_key()
    assert vault.load(key) is None
    vault.save(key, CREDS)
    raw = vault.path.read_text()
    for secret in ("ckey-1234567890", "csecret-0987654321", "passkey-abcdef", "174380"):
        assert secret not in raw
    assert vault.load(key) == CREDS
    assert vault.path.stat().st_mode & 0o077 == 0
    assert [p.name for p in tmp_path.iterdir()] == ["credentials.vault"]  # no temp file left


def test_wrong_key_says_so_and_keeps_the_file(tmp_path) -> None:
    vault = Vault(tmp_path / "credentials.vault")
    vault.save(new_vault_key(), CREDS)
    before = vault.path.read_bytes()
    with pytest.raises(VaultLocked, match=r"cannot be opened .* left untouched"):
        vault.load(new_vault_key())
    assert vault.path.read_bytes() == before


def test_missing_key_says_so_and_keeps_the_file(tmp_path) -> None:
    vault = Vault(tmp_path / "credentials.vault")
    vault.save(new_vault_key(), CREDS)
    with pytest.raises(VaultLocked, match="key that opens them is missing"):
        vault.load(None)
    assert vault.exists()


def test_damaged_file_is_reported_not_replaced(tmp_path) -> None:
    path = tmp_path / "credentials.vault"
    path.write_text("garbage")
    with pytest.raises(VaultError, match="cannot be read"):
        Vault(path).load(new_vault_key())
    assert path.read_text() == "garbage"


def test_set_aside_renames_never_deletes(tmp_path) -> None:
    vault = Vault(tmp_path / "credentials.vault")
    vault.save(new_vault_key(), CREDS)
    moved = vault.set_aside()
    assert moved is not None and moved.exists()
    assert not vault.exists()
    assert moved.name.startswith("credentials.vault.unreadable-")


def test_overwrite_replaces_atomically(tmp_path) -> None:
    vault = Vault(tmp_path / "credentials.vault")
    key = new_vault_key()
    vault.save(key, CREDS)
    other = DarajaCredentials("k2", "s2", "600000", "p2")
    vault.save(key, other)
    assert vault.load(key) == other
