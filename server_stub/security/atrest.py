"""Encryption of secrets at rest: MultiFernet under ENCRYPTION_KEY (newest key first).

In development a missing key is generated once into a 0600 file next to the database and a
warning is logged; in production a missing or malformed key stops start-up (DESIGN.md section 5).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from server_stub.operations.settings import RelaySettings, SettingsError

log = logging.getLogger(__name__)

DEV_KEY_FILE = "encryption.key"
_FERNET_KEY = re.compile(r"[A-Za-z0-9_\-]{43}=")
_KEY_HELP = (
    'generate one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


class AtRestError(ValueError):
    """Stored secrets that none of the configured keys can open."""


class SecretBox:
    """Encrypts and decrypts secrets with the configured keys; rotates to the newest key."""

    def __init__(self, keys: list[bytes]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self.key_count = len(keys)

    def __repr__(self) -> str:
        return f"SecretBox(keys={self.key_count})"

    def encrypt(self, plaintext: bytes) -> bytes:
        """Encrypt with the newest key."""
        return self._fernet.encrypt(plaintext)

    def decrypt(self, token: bytes) -> bytes:
        """Decrypt with whichever configured key fits; AtRestError when none does."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise AtRestError(
                "A stored secret cannot be decrypted with ENCRYPTION_KEY: the key that encrypted "
                "it is missing from the list."
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt a stored secret under the newest key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise AtRestError(
                "A stored secret cannot be re-encrypted: the key that encrypted it is missing "
                "from ENCRYPTION_KEY."
            ) from None


def load_secret_box(settings: RelaySettings) -> SecretBox:
    """The SecretBox for these settings; SettingsError with a plain sentence when unusable."""
    if settings.encryption_key:
        return SecretBox(parse_keys(settings.encryption_key))
    if settings.production:
        raise SettingsError(
            "ENCRYPTION_KEY is not set: in production the relay refuses to start without it; "
            + _KEY_HELP
            + "."
        )
    return SecretBox([_development_key(settings.data_dir / DEV_KEY_FILE)])


def parse_keys(raw: str) -> list[bytes]:
    """Split ENCRYPTION_KEY into Fernet keys, checking each (never echoing one)."""
    parts = [part.strip() for part in raw.split(",")]
    if not all(parts):
        raise SettingsError("ENCRYPTION_KEY has an empty entry: separate keys with single commas.")
    keys: list[bytes] = []
    for number, part in enumerate(parts, start=1):
        try:
            # Fernet's base64 decoding skips stray characters: check the exact shape first.
            if not _FERNET_KEY.fullmatch(part):
                raise ValueError("not 44 characters of URL-safe base64")
            Fernet(part.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise SettingsError(
                f"ENCRYPTION_KEY entry {number} of {len(parts)} is not a Fernet key "
                f"(44 characters of URL-safe base64); {_KEY_HELP}."
            ) from None
        keys.append(part.encode("ascii"))
    return keys


def _development_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(Fernet.generate_key())
        handle.flush()
        os.fsync(handle.fileno())
    log.warning(
        "ENCRYPTION_KEY is not set: generated a development key in %s. "
        "Set ENCRYPTION_KEY before using real credentials.",
        path,
    )
    return _read_key_file(path, announce=False)


def _read_key_file(path: Path, *, announce: bool = True) -> bytes:
    if path.stat().st_mode & 0o077:
        log.warning("The development key file %s is readable by other users: chmod 600 it.", path)
    if announce:
        log.warning("ENCRYPTION_KEY is not set: using the development key file %s.", path)
    raw = path.read_bytes().strip()
    try:
        Fernet(raw)
    except ValueError:
        raise SettingsError(
            f"The development key file {path} is damaged: delete it only if no credentials "
            "were stored with it, or set ENCRYPTION_KEY."
        ) from None
    return raw
