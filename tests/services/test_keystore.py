"""Keystore: refused keyring backends, read-back, the memory store."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import chainer, fail, null

from bucket_desktop.services.keystore import (
    VAULT_KEY,
    KeyringStore,
    KeyringUnavailable,
    KeystoreError,
    MemoryStore,
    refusal_reason,
)
from tests.services.memory_keyring import MemoryKeyring

SERVICE = "payment-bucket-test"


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's file backend without installing it."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


class ForgetfulKeyring(MemoryKeyring):
    """Accepts writes and keeps nothing, like a broken Secret Service."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


class FixedChainer(chainer.ChainerBackend):
    """A chainer over a chosen list of backends."""

    def __init__(self, members: list[object]) -> None:
        super().__init__()
        self.members = members

    @property
    def backends(self) -> list[object]:  # type: ignore[override]
        return self.members


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        (fail.Keyring(), "no password store"),
        (null.Keyring(), "switched off"),
        (PlaintextKeyring(), "ordinary file"),
        (FixedChainer([fail.Keyring(), null.Keyring(), PlaintextKeyring()]), "no password store"),
        (FixedChainer([]), "no password store"),
    ],
    ids=["fail", "null", "plaintext-file", "chainer-of-refused", "empty-chainer"],
)
def test_refused_backends_are_never_used(backend: object, words: str) -> None:
    assert words in (refusal_reason(backend) or "")  # type: ignore[arg-type]
    with pytest.raises(KeyringUnavailable, match=words):
        KeyringStore(backend, SERVICE)  # type: ignore[arg-type]


def test_system_keyring_with_fail_backend_is_refused() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(KeyringUnavailable, match="no password store"):
            KeyringStore.from_system(SERVICE)
    finally:
        keyring.set_keyring(previous)


def test_chainer_writes_only_to_its_trusted_member() -> None:
    trusted = MemoryKeyring()
    plaintext = PlaintextKeyring()
    store = KeyringStore(FixedChainer([plaintext, trusted]), SERVICE)
    store.set(VAULT_KEY, "k1")
    assert trusted.passwords == {(SERVICE, VAULT_KEY): "k1"}
    assert plaintext.passwords == {}


def test_memory_keyring_round_trip(memory_keyring: MemoryKeyring) -> None:
    store = KeyringStore.from_system(SERVICE)
    assert store.get(VAULT_KEY) is None
    store.set(VAULT_KEY, "secret-value")
    assert store.get(VAULT_KEY) == "secret-value"
    assert memory_keyring.passwords[(SERVICE, VAULT_KEY)] == "secret-value"
    store.delete(VAULT_KEY)
    store.delete(VAULT_KEY)  # forgetting twice is fine
    assert store.get(VAULT_KEY) is None


def test_a_write_that_does_not_read_back_is_an_error() -> None:
    store = KeyringStore(ForgetfulKeyring(), SERVICE)
    with pytest.raises(KeystoreError, match="did not keep the key"):
        store.set(VAULT_KEY, "secret-value")


def test_memory_store() -> None:
    store = MemoryStore()
    store.set(VAULT_KEY, "x")
    assert store.get(VAULT_KEY) == "x"
    store.delete(VAULT_KEY)
    assert store.get(VAULT_KEY) is None
