"""The key file of a PC without an OS keyring: secrets encrypted with a passphrase (scrypt).

DESIGN.md section 8. Deriving the key is slow on purpose (about half a second): run it in a
thread.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bucket_desktop.i18n import _
from bucket_desktop.services.atomic_file import write_atomic
from bucket_desktop.services.keystore import KeystoreError, WrongPassphrase

MIN_PASSPHRASE_LENGTH = 8
# scrypt cost of new key files: OWASP's N=2^17, r=8, p=1 (about 0.45 s and 128 MiB on a
# modest PC, once per start). Each file records its own cost, so files made with the earlier
# N=2^15 still open; a file asking for less than that, or for more than a PC can spare, is
# refused as damaged (a tampered header must not weaken or stall the derivation).
_SCRYPT_N = 2**17
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_N_RANGE = (2**15, 2**20)
_KEY_FILE_FORMAT = 1


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
