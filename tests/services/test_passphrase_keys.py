"""The passphrase key file: round trip, wrong or short passphrases, damage, scrypt cost, change."""

from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bucket_desktop.services.keystore import VAULT_KEY, KeystoreError, WrongPassphrase
from bucket_desktop.services.passphrase_keys import PassphraseKeyFile


def test_passphrase_file_round_trip(tmp_path) -> None:
    key_file = PassphraseKeyFile(tmp_path / "keys.locked")
    assert not key_file.exists()
    store = key_file.create("correct horse battery")
    store.set(VAULT_KEY, "vault-secret")
    raw = (tmp_path / "keys.locked").read_text()
    assert "vault-secret" not in raw
    assert json.loads(raw)["kdf"]["name"] == "scrypt"
    reopened = PassphraseKeyFile(tmp_path / "keys.locked").unlock("correct horse battery")
    assert reopened.get(VAULT_KEY) == "vault-secret"
    assert "vault-secret" not in repr(reopened)


def test_wrong_passphrase_says_so_and_keeps_the_file(tmp_path) -> None:
    path = tmp_path / "keys.locked"
    PassphraseKeyFile(path).create("correct horse battery").set(VAULT_KEY, "vault-secret")
    before = path.read_bytes()
    with pytest.raises(WrongPassphrase, match="does not open the key file"):
        PassphraseKeyFile(path).unlock("wrong horse battery")
    assert path.read_bytes() == before


def test_short_passphrase_and_second_create_are_refused(tmp_path) -> None:
    key_file = PassphraseKeyFile(tmp_path / "keys.locked")
    with pytest.raises(KeystoreError, match="at least 8 characters"):
        key_file.create("short")
    key_file.create("long enough phrase")
    with pytest.raises(KeystoreError, match="already exists"):
        key_file.create("another long phrase")


def test_damaged_key_file_is_reported_and_left_alone(tmp_path) -> None:
    path = tmp_path / "keys.locked"
    path.write_text("{not json")
    with pytest.raises(KeystoreError, match="cannot be read"):
        PassphraseKeyFile(path).unlock("whatever phrase")
    assert path.read_text() == "{not json"


def _key_file_made_with(path, passphrase: str, n: int, secrets: dict[str, str]) -> None:
    """A key file as an earlier version wrote it, derived here independently of the app."""
    salt = os.urandom(16)
    key = Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(passphrase.encode())
    token = Fernet(base64.urlsafe_b64encode(key)).encrypt(json.dumps(secrets).encode())
    header = {
        "format": 1,
        "kdf": {"name": "scrypt", "n": n, "r": 8, "p": 1},
        "salt": base64.b64encode(salt).decode(),
        "secrets": token.decode(),
    }
    path.write_text(json.dumps(header))


def test_new_key_files_use_owasp_scrypt_cost_and_old_ones_still_open(tmp_path) -> None:
    new = tmp_path / "new.locked"
    PassphraseKeyFile(new).create("correct horse battery").set(VAULT_KEY, "v1")
    assert json.loads(new.read_text())["kdf"] == {"name": "scrypt", "n": 2**17, "r": 8, "p": 1}
    old = tmp_path / "old.locked"
    _key_file_made_with(old, "correct horse battery", 2**15, {VAULT_KEY: "v0"})
    store = PassphraseKeyFile(old).unlock("correct horse battery")
    assert store.get(VAULT_KEY) == "v0"
    store.set("other", "x")  # written back with the cost it was made with, so it still opens
    assert PassphraseKeyFile(old).unlock("correct horse battery").get("other") == "x"


@pytest.mark.parametrize("n", [2**10, 2**21, 3 * 2**15, "32768"])
def test_a_key_file_asking_for_a_weak_or_huge_cost_is_damaged(tmp_path, n: object) -> None:
    path = tmp_path / "keys.locked"
    _key_file_made_with(path, "correct horse battery", 2**15, {VAULT_KEY: "v"})
    header = json.loads(path.read_text())
    header["kdf"]["n"] = n
    path.write_text(json.dumps(header))
    with pytest.raises(KeystoreError, match="damaged"):
        PassphraseKeyFile(path).unlock("correct horse battery")


def test_change_passphrase_needs_the_old_one_and_re_encrypts(tmp_path) -> None:
    path = tmp_path / "keys.locked"
    store = PassphraseKeyFile(path).create("correct horse battery")
    store.set(VAULT_KEY, "vault-secret")
    with pytest.raises(WrongPassphrase, match="not the current passphrase"):
        store.change_passphrase("wrong horse battery", "a brand new phrase")
    with pytest.raises(KeystoreError, match="at least 8 characters"):
        store.change_passphrase("correct horse battery", "short")
    assert PassphraseKeyFile(path).unlock("correct horse battery").get(VAULT_KEY) == "vault-secret"

    store.change_passphrase("correct horse battery", "a brand new phrase")
    with pytest.raises(WrongPassphrase):
        PassphraseKeyFile(path).unlock("correct horse battery")
    assert PassphraseKeyFile(path).unlock("a brand new phrase").get(VAULT_KEY) == "vault-secret"
    store.set("relay-token", "t")  # the running app keeps writing with the new passphrase
    assert PassphraseKeyFile(path).unlock("a brand new phrase").get("relay-token") == "t"
    assert not [p for p in tmp_path.iterdir() if p.name != "keys.locked"]  # no temp left


def test_a_crash_while_changing_the_passphrase_leaves_the_old_file_usable(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys.locked"
    store = PassphraseKeyFile(path).create("correct horse battery")
    store.set(VAULT_KEY, "vault-secret")
    before = path.read_bytes()

    def power_cut(_src: object, _dst: object) -> None:
        raise OSError(5, "Input/output error")  # the new file is written, the rename never is

    with monkeypatch.context() as patched:
        patched.setattr(os, "replace", power_cut)
        with pytest.raises(OSError):
            store.change_passphrase("correct horse battery", "a brand new phrase")
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name != "keys.locked"]
    assert PassphraseKeyFile(path).unlock("correct horse battery").get(VAULT_KEY) == "vault-secret"
    store.set("relay-token", "t")  # the store did not switch to a key that was never written
    assert PassphraseKeyFile(path).unlock("correct horse battery").get("relay-token") == "t"
