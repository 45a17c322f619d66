"""The relay's X25519 key for sealed credentials: generated once, stored encrypted at rest."""

from __future__ import annotations

from dataclasses import dataclass, field

from bucket_desktop.services.sealing import fingerprint, generate_private_key, public_key_of
from server_stub.security.atrest import SecretBox
from server_stub.store.protocol import Store

KEY_SETTING = "relay_x25519_private_key"  # the name of the row, not a secret


@dataclass(frozen=True, slots=True)
class RelayKey:
    """The relay's key pair; the private half never leaves this object's owner."""

    private_key: bytes = field(repr=False)
    public_key: str
    fingerprint: str


async def load_relay_key(store: Store, box: SecretBox) -> RelayKey:
    """The stored key pair, created on first start (the first writer wins across processes)."""
    encrypted = await store.secret_setting(KEY_SETTING, lambda: box.encrypt(generate_private_key()))
    private = box.decrypt(encrypted)
    public = public_key_of(private)
    return RelayKey(private_key=private, public_key=public, fingerprint=fingerprint(public))
