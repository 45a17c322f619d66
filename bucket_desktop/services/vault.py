"""The provider's Daraja credentials, encrypted with the vault key, in the app's data folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.atomic_file import write_atomic
from bucket_desktop.services.credentials import CredentialsError, DarajaCredentials

_FORMAT = 1
# What the owner can do about a file that cannot be opened: Save sets the old one aside.
_TYPE_AGAIN = N_(
    "Type the credentials again and press Save: the old file is kept beside it, not deleted."
)


class VaultError(Exception):
    """The vault cannot be read or written; `str(error)` says why and that nothing was lost."""


class VaultLocked(VaultError):
    """The vault exists but the key at hand does not open it."""


def new_vault_key() -> str:
    """A fresh Fernet key, as text for a keyring."""
    return Fernet.generate_key().decode("ascii")


class Vault:
    """One encrypted file holding one set of credentials."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        """True when credentials have been saved here."""
        return self.path.is_file()

    def load(self, key: str | None) -> DarajaCredentials | None:
        """The saved credentials; None when nothing was saved; VaultLocked for a wrong key."""
        if not self.exists():
            return None
        if key is None:
            raise VaultLocked(
                _(
                    "Saved credentials were found, but the key that opens them is missing on "
                    "this PC. The file {path} was left untouched. {type_again}"
                ).format(path=self.path, type_again=_(_TYPE_AGAIN))
            )
        token = self._read_token()
        try:
            plaintext = _fernet(key).decrypt(token)
        except InvalidToken:
            raise VaultLocked(
                _(
                    "The saved credentials cannot be opened with the key kept on this PC (it was "
                    "replaced, or the file comes from another PC). The file {path} was left "
                    "untouched. {type_again}"
                ).format(path=self.path, type_again=_(_TYPE_AGAIN))
            ) from None
        try:
            return DarajaCredentials.from_json(plaintext)
        except CredentialsError as error:
            raise VaultError(
                _("The saved credentials are not usable: {error}").format(error=error)
            ) from None

    def save(self, key: str, credentials: DarajaCredentials) -> None:
        """Encrypt and write the credentials atomically."""
        token = _fernet(key).encrypt(credentials.to_json()).decode("ascii")
        document = {"format": _FORMAT, "saved_at": datetime.now(UTC).isoformat(), "data": token}
        try:
            write_atomic(self.path, json.dumps(document).encode())
        except OSError as error:
            raise VaultError(
                _("The credentials could not be written to {path}: {strerror}.").format(
                    path=self.path, strerror=error.strerror
                )
            ) from None

    def set_aside(self) -> Path | None:
        """Rename an unreadable vault out of the way (never delete it); returns the new path."""
        if not self.exists():
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.unreadable-{stamp}")
        self.path.rename(target)
        return target

    def _read_token(self) -> bytes:
        try:
            document = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            raise VaultError(
                _("The saved credentials file {path} cannot be read; it was left as it is.").format(
                    path=self.path
                )
            ) from None
        token = document.get("data") if isinstance(document, dict) else None
        if not isinstance(token, str) or document.get("format") != _FORMAT:
            raise VaultError(
                _("The saved credentials file {path} is damaged; it was left as it is.").format(
                    path=self.path
                )
            )
        return token.encode("ascii")


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise VaultLocked(
            _(
                "The key kept on this PC for the saved credentials is damaged; nothing was "
                "changed. {type_again}"
            ).format(type_again=_(_TYPE_AGAIN))
        ) from None
