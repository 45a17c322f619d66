"""The snapshot: a provider's whole payment history in one streamed answer.

A new desk, or one whose relay was restored, reads this instead of the feed 500 at a time. The
answer is newline-delimited JSON, gzip-compressed when the client accepts it: lines that are
arrays of up to 2,000 feed items (oldest first, any order inside a line), then one last line
`{"cursor": C, "store_id": ..., "head": H, "plans_version": V}`. Only that last line makes the
snapshot complete; the desk then follows the feed after `cursor`, which brings whatever changed
while the snapshot was read. Each item appears once, so a desk can show each line at once and
save the highest `seq` it has seen as its cursor.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from server_stub.api.auth import Caller, authenticate, desk_caller
from server_stub.api.errors import error_responses
from server_stub.api.feed_json import page_tail
from server_stub.api.query_guard import check_query_names
from server_stub.api.state import RelayServices, relay_of

router = APIRouter(prefix="/payments/bucket")

SNAPSHOT_CHUNK = 2000
GZIP_LEVEL = 1  # a catch-up is bound by time, not bytes: loopback and shop LANs are fast
MEDIA_TYPE = "application/x-ndjson"

_DESCRIPTION = (
    "Newline-delimited JSON: arrays of feed items (PaymentItem), then one object with cursor, "
    "store_id, head and plans_version. Complete only with that last line."
)


@router.get(
    "/payments/snapshot/",
    response_class=StreamingResponse,
    responses={
        200: {"description": _DESCRIPTION, "content": {MEDIA_TYPE: {"schema": {"type": "string"}}}},
        **error_responses(400, 401, 403, 429),
    },
    openapi_extra={"security": [{"APIKeyHeader": []}]},
)
async def snapshot(request: Request) -> StreamingResponse:
    """Every payment of the provider, streamed; then follow the feed from the last line's cursor."""
    check_query_names(request.query_params, ())
    caller = desk_caller(await authenticate(request, request.headers.get("authorization")))
    relay = relay_of(request)
    # Counted like a long-poll, so one token cannot start many; checked here, while a 429 can
    # still be answered, and held while the body streams.
    relay.waiters.check(caller.token_key)
    gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
    headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"} if gzip else None
    lines = _lines(relay, caller, zlib.compressobj(GZIP_LEVEL, wbits=31) if gzip else None)
    return StreamingResponse(lines, media_type=MEDIA_TYPE, headers=headers)


async def _lines(
    relay: RelayServices, caller: Caller, compress: zlib._Compress | None
) -> AsyncIterator[bytes]:
    with relay.waiters.counted(caller.token_key):
        store, provider_id = relay.store, caller.provider_id
        plans_version = await store.plans.version(provider_id)
        head = await store.feed_head(provider_id)
        packing: asyncio.Future[bytes] | None = None
        cursor = 0
        while cursor < head:
            # A payment changed while this is read has moved past `head`: the feed brings it.
            cursor, count, items = await store.feed_chunk(provider_id, cursor, head, SNAPSHOT_CHUNK)
            if packing is not None:
                yield await packing
            # Compressing runs in a thread (zlib lets go of the GIL) while the loop reads the
            # next chunk and serves callbacks and other desks.
            packing = (
                asyncio.ensure_future(_pack(compress, b"[" + items + b"]\n")) if count else None
            )
            if count < SNAPSHOT_CHUNK:
                break
        if packing is not None:
            yield await packing
        end = b'{"cursor":' + page_tail(head, store.store_id, head, plans_version) + b"\n"
        yield await _pack(compress, end) + (compress.flush() if compress else b"")


async def _pack(compress: zlib._Compress | None, data: bytes) -> bytes:
    if compress is None:
        return data
    return await asyncio.to_thread(compress.compress, data)
