"""The feed's JSON, built from per-payment fragments cached by their full stored state.

Every desktop long-polls the same few latest changes, so the same rows are encoded again and
again. A fragment is keyed by the whole `PaymentRecord` (frozen, hashable), its access and
deliveries included: any change to a payment or its access makes a new key, so a cached
fragment can never be stale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from server_stub.api.schemas import payment_fields
from server_stub.store.records import PaymentRecord

FRAGMENTS_CACHED = 8192  # about 3 MB of JSON


@lru_cache(maxsize=FRAGMENTS_CACHED)
def payment_json(payment: PaymentRecord) -> bytes:
    """One feed item as compact UTF-8 JSON."""
    return json.dumps(
        payment_fields(payment), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def page_json(
    payments: Sequence[PaymentRecord], cursor: int, store_id: str, head: int, plans_version: int
) -> bytes:
    """`{"items": [...], "cursor": N, "store_id": "...", "head": H, "plans_version": V}`."""
    items = b",".join(payment_json(payment) for payment in payments)
    tail = json.dumps(
        {"store_id": store_id, "head": head, "plans_version": plans_version},
        separators=(",", ":"),
    ).encode()
    return b'{"items":[' + items + b'],"cursor":' + str(cursor).encode() + b"," + tail[1:]
