"""Where the app keeps its two secrets (the vault key and the relay token).

DESIGN.md section 8: the OS keyring through `keyring`, refusing backends that would lose or
expose a secret, and reading every write back; where no OS keyring exists, a key file protected
by a passphrase (`passphrase_keys`). Calls here block (keyring): run them in a thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import keyring
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringError, PasswordDeleteError

from bucket_desktop.i18n import N_, _

VAULT_KEY = "vault-key"
RELAY_TOKEN = "relay-token"  # noqa: S105 (the entry name, not a token)
NO_STORE_SENTENCE = N_(
    "This PC has no password store the app can use (such as Windows Credential "
    "Manager or the macOS Keychain)."
)
# What the owner sees for the OS keyring in use, by backend module; anything else is generic.
_FRIENDLY_NAMES = {
    "keyring.backends.Windows": N_("Windows Credential Manager"),
    "keyring.backends.macOS": N_("the macOS Keychain"),
    "keyring.backends.SecretService": N_("the desktop's password store"),
    "keyring.backends.libsecret": N_("the desktop's password store"),
    "keyring.backends.kwallet": "KWallet",
}


class KeystoreError(Exception):
    """A secret could not be stored or read; `str(error)` says why in one sentence."""


class KeyringUnavailable(KeystoreError):
    """No OS keyring this app is willing to trust."""


class WrongPassphrase(KeystoreError):
    """The passphrase does not open the key file."""


class SecretStore(Protocol):
    """A small place for named secrets."""

    @property
    def description(self) -> str:
        """Where the secrets live, for the screen ("Windows Credential Locker")."""
        ...

    def get(self, name: str) -> str | None:
        """The secret, or None when there is none."""
        ...

    def set(self, name: str, value: str) -> None:
        """Store the secret; KeystoreError when it was not kept."""
        ...

    def delete(self, name: str) -> None:
        """Forget the secret (no error when it was not there)."""
        ...


def refusal_reason(backend: KeyringBackend) -> str | None:
    """Why this app will not keep secrets in `backend`, or None when it is acceptable."""
    module = type(backend).__module__
    name = type(backend).__name__
    # Said to the owner, who may not know what a keyring is: name the thing and its effect.
    if module == "keyring.backends.fail":
        return _(NO_STORE_SENTENCE)
    if module == "keyring.backends.null":
        return _("This PC's password store is switched off, so a key kept there would be lost.")
    if module.startswith("keyrings.alt") or "plaintext" in name.lower():
        return _(
            "This PC's password store keeps passwords in an ordinary file, which this "
            "app does not trust with its keys."
        )
    if isinstance(backend, ChainerBackend):
        return None if _trusted(_chained(backend)) else _(NO_STORE_SENTENCE)
    return None


def choose_backend(backend: KeyringBackend) -> KeyringBackend:
    """The backend to use in place of `backend`; KeyringUnavailable when none is acceptable.

    A chainer is replaced by its best acceptable member, so a write can never fall through to a
    plaintext backend further down the chain.
    """
    if isinstance(backend, ChainerBackend):
        trusted = _trusted(_chained(backend))
        if not trusted:
            raise KeyringUnavailable(_(NO_STORE_SENTENCE))
        return trusted[0]
    reason = refusal_reason(backend)
    if reason is not None:
        raise KeyringUnavailable(reason)
    return backend


def _chained(chainer: KeyringBackend) -> list[KeyringBackend]:
    members: Iterable[KeyringBackend] = getattr(chainer, "backends", [])
    return list(members)


def _trusted(backends: list[KeyringBackend]) -> list[KeyringBackend]:
    return [b for b in backends if refusal_reason(b) is None]


class KeyringStore:
    """Secrets in the OS keyring, under one service name."""

    def __init__(self, backend: KeyringBackend, service: str) -> None:
        self._backend = choose_backend(backend)
        self._service = service

    @classmethod
    def from_system(cls, service: str) -> KeyringStore:
        """The OS keyring `keyring` picked for this machine; KeyringUnavailable if refused."""
        return cls(keyring.get_keyring(), service)

    @property
    def description(self) -> str:
        """The password store in words an owner knows ("Windows Credential Manager")."""
        module = type(self._backend).__module__
        return _(_FRIENDLY_NAMES.get(module, N_("this PC's password store")))

    def get(self, name: str) -> str | None:
        """The secret, or None."""
        try:
            return self._backend.get_password(self._service, name)
        except KeyringError as error:
            raise KeystoreError(
                _(
                    "{description} could not be read ({error}). Unlock it or restart the PC, "
                    "then start the app again."
                ).format(description=_capital(self.description), error=_plain(error))
            ) from None

    def set(self, name: str, value: str) -> None:
        """Store the secret, then read it back before anyone relies on it."""
        try:
            self._backend.set_password(self._service, name, value)
            kept = self._backend.get_password(self._service, name)
        except KeyringError as error:
            raise KeystoreError(
                _(
                    "{description} refused the key ({error}). Unlock it or restart the PC, then "
                    "try again."
                ).format(description=_capital(self.description), error=_plain(error))
            ) from None
        if kept != value:
            raise KeystoreError(
                _(
                    "{description} did not keep the key (reading it back gave something else). "
                    "Restart the PC and try again."
                ).format(description=_capital(self.description))
            )

    def delete(self, name: str) -> None:
        """Forget the secret."""
        try:
            self._backend.delete_password(self._service, name)
        except PasswordDeleteError:
            pass
        except KeyringError as error:
            raise KeystoreError(
                _("{description} could not forget the key ({error}).").format(
                    description=_capital(self.description), error=_plain(error)
                )
            ) from None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _plain(error: Exception) -> str:
    # Backend messages describe the backend, never the secret; keep them short.
    text = str(error).strip() or type(error).__name__
    return text[:200]


class MemoryStore:
    """Secrets held only while the app runs (demo mode, tests)."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}

    @property
    def description(self) -> str:
        """Where the secrets live."""
        return "memory only (forgotten when the app closes)"

    def get(self, name: str) -> str | None:
        """The secret, or None."""
        return self._secrets.get(name)

    def set(self, name: str, value: str) -> None:
        """Keep the secret."""
        self._secrets[name] = value

    def delete(self, name: str) -> None:
        """Forget the secret."""
        self._secrets.pop(name, None)
