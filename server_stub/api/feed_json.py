"""The feed's JSON: a page is the store's rendered items joined, with the cursor and head.

Every desktop long-polls the same few latest changes, and a desk catching up reads whole pages:
neither builds records or JSON per item, since the store keeps each item rendered
(`server_stub.store.sqlite_feed`).
"""

from __future__ import annotations

import json


def page_json(items: bytes, cursor: int, store_id: str, head: int, plans_version: int) -> bytes:
    """`{"items": [...], "cursor": N, "store_id": "...", "head": H, "plans_version": V}`, from
    the items already comma-joined (`feed_chunk`)."""
    return b'{"items":[' + items + b'],"cursor":' + page_tail(cursor, store_id, head, plans_version)


def page_tail(cursor: int, store_id: str, head: int, plans_version: int) -> bytes:
    """What follows the items' closing bracket: `N,"store_id":...}`."""
    tail = json.dumps(
        {"store_id": store_id, "head": head, "plans_version": plans_version},
        separators=(",", ":"),
    ).encode()
    return str(cursor).encode() + b"," + tail[1:]
