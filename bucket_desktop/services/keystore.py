"""Where the app keeps its two secrets (the vault key and the relay token).

DESIGN.md section 8: the OS keyring through `keyring`, refusing backends that would lose or
expose a secret, and reading every write back; where no OS keyring exists, a key file protected
by a passphrase (scrypt). Calls here block (keyring, scrypt): run them in a thread.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import keyring
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringError, PasswordDeleteError

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.atomic_file import write_atomic

VAULT_KEY = "vault-key"
RELAY_TOKEN = "relay-token"  # noqa: S105 (the entry name, not a token)
MIN_PASSPHRASE_LENGTH = 8
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

# scrypt cost of new key files: OWASP's N=2^17, r=8, p=1 (about 0.45 s and 128 MiB on a
# modest PC, once per start). Each file records its own cost, so files made with the earlier
# N=2^15 still open; a file asking for less than that, or for more than a PC can spare, is
# refused as damaged (a tampered header must not weaken or stall the derivation).
_SCRYPT_N = 2**17
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_N_RANGE = (2**15, 2**20)
_KEY_FILE_FORMAT = 1


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


class PassphraseKeyFile:
    """A file of secrets encrypted with a key derived from a passphrase (scrypt + Fernet)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        """True once a key file has been created here."""
        return self.path.is_file()

    def create(self, passphrase: str) -> PassphraseStore:
        """A new, empty key file; refuses to replace an existing one."""
        if len(passphrase) < MIN_PASSPHRASE_LENGTH:
            raise KeystoreError(
                _("Choose a passphrase of at least {count} characters.").format(
                    count=MIN_PASSPHRASE_LENGTH
                )
            )
        if self.exists():
            raise KeystoreError(
                _(
                    "A key file already exists at {path}: unlock it instead of making a new one."
                ).format(path=self.path)
            )
        salt = os.urandom(16)
        store = PassphraseStore(self.path, salt, _derive(passphrase, salt, _SCRYPT_N), {})
        store.flush()
        return store

    def unlock(self, passphrase: str) -> PassphraseStore:
        """Open the key file; WrongPassphrase when the passphrase does not fit."""
        header = self._read_header()
        salt = _b64(header.get("salt"))
        token = header.get("secrets")
        cost = _recorded_cost(header.get("kdf"))
        if salt is None or not isinstance(token, str) or cost is None:
            raise KeystoreError(
                _("The key file {path} is damaged; it was left as it is.").format(path=self.path)
            )
        key = _derive(passphrase, salt, cost)
        try:
            secrets = json.loads(Fernet(key).decrypt(token.encode()))
        except InvalidToken:
            raise WrongPassphrase(_("That passphrase does not open the key file.")) from None
        if not isinstance(secrets, dict):
            raise KeystoreError(
                _("The key file {path} is damaged; it was left as it is.").format(path=self.path)
            )
        return PassphraseStore(
            self.path, salt, key, {str(k): str(v) for k, v in secrets.items()}, cost
        )

    def _read_header(self) -> dict[str, Any]:
        try:
            header = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            raise KeystoreError(
                _("There is no key file at {path}.").format(path=self.path)
            ) from None
        except (OSError, ValueError):
            raise KeystoreError(
                _("The key file {path} cannot be read.").format(path=self.path)
            ) from None
        if not isinstance(header, dict) or header.get("format") != _KEY_FILE_FORMAT:
            raise KeystoreError(
                _("The key file {path} is damaged; it was left as it is.").format(path=self.path)
            )
        return header


class PassphraseStore:
    """An unlocked key file: every change is written back encrypted, atomically."""

    def __init__(
        self,
        path: Path,
        salt: bytes,
        key: bytes,
        secrets: dict[str, str],
        scrypt_n: int = _SCRYPT_N,
    ) -> None:
        self._path = path
        self._salt = salt
        self._scrypt_n = scrypt_n
        self._fernet = Fernet(key)
        self._secrets = secrets

    def __repr__(self) -> str:
        return f"PassphraseStore(path={str(self._path)!r}, names={sorted(self._secrets)!r})"

    @property
    def description(self) -> str:
        """Where the secrets live."""
        return _("the passphrase-protected key file {path}").format(path=self._path)

    def get(self, name: str) -> str | None:
        """The secret, or None."""
        return self._secrets.get(name)

    def set(self, name: str, value: str) -> None:
        """Store the secret and write the file."""
        self._secrets[name] = value
        self.flush()

    def delete(self, name: str) -> None:
        """Forget the secret and write the file."""
        if self._secrets.pop(name, None) is not None:
            self.flush()

    def flush(self) -> None:
        """Write every secret, encrypted, to the file."""
        self._write(self._fernet, self._salt, self._scrypt_n)

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-encrypt the file under `new` once `old` is proven to open it.

        The new file replaces the old one in a single rename, so a crash at any moment leaves
        either the old file (the old passphrase still opens it) or the new one, never half.
        """
        if len(new) < MIN_PASSPHRASE_LENGTH:
            raise KeystoreError(
                _("Choose a new passphrase of at least {count} characters.").format(
                    count=MIN_PASSPHRASE_LENGTH
                )
            )
        try:
            PassphraseKeyFile(self._path).unlock(old)
        except WrongPassphrase:
            raise WrongPassphrase(
                _("That is not the current passphrase; nothing was changed.")
            ) from None
        salt = os.urandom(16)
        fernet = Fernet(_derive(new, salt, _SCRYPT_N))
        self._write(fernet, salt, _SCRYPT_N)
        # Only now: if the write failed, this store still writes with the old passphrase.
        self._fernet, self._salt, self._scrypt_n = fernet, salt, _SCRYPT_N

    def _write(self, fernet: Fernet, salt: bytes, scrypt_n: int) -> None:
        token = fernet.encrypt(json.dumps(self._secrets).encode()).decode()
        header = {
            "format": _KEY_FILE_FORMAT,
            "kdf": {"name": "scrypt", "n": scrypt_n, "r": _SCRYPT_R, "p": _SCRYPT_P},
            "salt": base64.b64encode(salt).decode(),
            "secrets": token,
        }
        write_atomic(self._path, json.dumps(header, indent=2).encode())


def _recorded_cost(kdf: object) -> int | None:
    """The scrypt N a key file was made with, when its header is one this app writes."""
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        return None
    n = kdf.get("n")
    if kdf.get("r") != _SCRYPT_R or kdf.get("p") != _SCRYPT_P or type(n) is not int:
        return None
    low, high = _SCRYPT_N_RANGE
    if not low <= n <= high or n & (n - 1):
        return None
    return n


def _derive(passphrase: str, salt: bytes, scrypt_n: int) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=scrypt_n, r=_SCRYPT_R, p=_SCRYPT_P)
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8")))


def _b64(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return None
