"""Access codes: 8 characters of HMAC, so any retry reproduces the same code (DESIGN.md 13).

The code is derived from the CheckoutRequestID, not the receipt: a payment settled by a query
has no receipt, and a late callback would change it.
"""

from __future__ import annotations

import hashlib
import hmac

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on phones
CODE_LENGTH = 8
_PREFIX = "pb-access-v1:"


def access_code(key: bytes, checkout_request_id: str, collision: int = 0) -> str:
    """The code for a payment; `collision` n > 0 rehashes with ":n" after a clash."""
    message = _PREFIX + checkout_request_id + (f":{collision}" if collision else "")
    number = int.from_bytes(hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest())
    characters = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[digit])
    return "".join(characters)
