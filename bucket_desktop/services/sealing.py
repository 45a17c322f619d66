"""Sealing credentials to the relay's public key (libsodium sealed box over X25519).

The desktop seals; only the relay, holding the private key, can open. The fingerprint is what a
person compares and what the desktop pins on first use.
"""

from __future__ import annotations

import base64
import hashlib

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from bucket_desktop.i18n import _


class SealingError(ValueError):
    """A key or sealed box that cannot be used."""


def fingerprint(public_key_b64: str) -> str:
    """Short, readable fingerprint of a base64 public key: 'AB12-CD34-EF56-7890'."""
    raw = _decode_key(public_key_b64)
    digest = hashlib.sha256(raw).hexdigest()[:16].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def seal(public_key_b64: str, plaintext: bytes) -> str:
    """Seal `plaintext` to the key; returns base64 text safe to put in JSON."""
    box = SealedBox(PublicKey(_decode_key(public_key_b64)))
    return base64.b64encode(box.encrypt(plaintext)).decode("ascii")


def generate_private_key() -> bytes:
    """A new raw 32-byte X25519 private key."""
    return bytes(PrivateKey.generate())


def public_key_of(private_key: bytes) -> str:
    """Base64 public key belonging to a raw private key."""
    return base64.b64encode(bytes(PrivateKey(private_key).public_key)).decode("ascii")


def unseal(private_key: bytes, sealed_b64: str) -> bytes:
    """Open a sealed box made by `seal`; SealingError if it was not sealed to this key."""
    try:
        sealed = base64.b64decode(sealed_b64, validate=True)
    except (ValueError, TypeError):
        raise SealingError(_("The sealed credentials are not valid base64.")) from None
    try:
        return SealedBox(PrivateKey(private_key)).decrypt(sealed)
    except CryptoError:
        raise SealingError(
            _("The sealed credentials could not be opened with this relay's key.")
        ) from None


def _decode_key(public_key_b64: str) -> bytes:
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
    except (ValueError, TypeError):
        raise SealingError(_("The relay key is not valid base64.")) from None
    if len(raw) != 32:
        raise SealingError(_("The relay key has the wrong length for an X25519 key."))
    return raw
