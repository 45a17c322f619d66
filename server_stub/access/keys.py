"""Per-provider secrets for access codes: made on first use, stored encrypted like credentials.

They live in the store's relay secrets, so `rotate-key` re-encrypts them with the rest; the
secret itself is never rotated (a code must stay the same for the same payment).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from server_stub.security.atrest import SecretBox

KEY_BYTES = 32

# Given a maker of a new encrypted value, the stored encrypted value (made on first use).
StoredSecret = Callable[[Callable[[], bytes]], bytes]


def secret_name(provider_id: int) -> str:
    """The relay-secret name of a provider's access-code key."""
    return f"access_code_key/{provider_id}"


class AccessKeyring:
    """Opens providers' access-code keys; used inside the store's writer transaction.

    A key is kept open only once it is known committed: one made (or read back) inside a
    transaction that is then rolled back would otherwise make every later code from a key the
    store never kept, and a retry after a restart would give another code. Until the writer's
    next commit says so (`confirm`), each use reads the key through the transaction.
    """

    def __init__(self, box: SecretBox) -> None:
        self._box = box
        self._open: dict[int, bytes] = {}
        self._unconfirmed: set[int] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AccessKeyring({len(self._open)} keys open)"

    def key(self, provider_id: int, stored: StoredSecret) -> bytes:
        """The provider's key, read (or created) through `stored` until it is known committed."""
        with self._lock:
            key = self._open.get(provider_id)
            if key is not None:
                return key
            self._unconfirmed.add(provider_id)
        return self._box.decrypt(stored(lambda: self._box.encrypt(os.urandom(KEY_BYTES))))

    def confirm(self, committed: Callable[[str], bytes | None]) -> None:
        """After a commit: keep open the keys used since, as `committed` now reads them."""
        with self._lock:
            if not self._unconfirmed:
                return
            providers, self._unconfirmed = self._unconfirmed, set()
        for provider_id in providers:
            encrypted = committed(secret_name(provider_id))
            if encrypted is not None:
                key = self._box.decrypt(encrypted)
                with self._lock:
                    self._open[provider_id] = key
