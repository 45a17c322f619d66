"""The payment feed: changes after a cursor, long-polled (woken on commit, never polled)."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server_stub.api.auth import authenticate, desk_caller, still_valid
from server_stub.api.errors import error_responses
from server_stub.api.feed_json import page_json
from server_stub.api.feed_query import FEED_PARAMETERS, check_feed_names, parse_feed_query
from server_stub.api.schemas import PaymentsPage
from server_stub.api.state import relay_of

router = APIRouter(prefix="/payments/bucket")
NO_LIMIT = 2**62  # no upper seq for feed_chunk: a page is not held to a head read before it
FEED_PATH = "/payments/bucket/payments/"  # also answered ahead of the middleware: feed_endpoint


@router.get(
    FEED_PATH.removeprefix(router.prefix),
    response_model=PaymentsPage,
    responses=error_responses(400, 401, 403, 429),
    openapi_extra={"parameters": FEED_PARAMETERS, "security": [{"APIKeyHeader": []}]},
)
async def payments(request: Request) -> Response:
    """The provider's payment changes after `after`, oldest first, waiting up to `wait` s."""
    # Checked in the order FastAPI would: parameter names, then the token, then the values.
    check_feed_names(request.query_params)
    caller = desk_caller(await authenticate(request, request.headers.get("authorization")))
    query = parse_feed_query(request.query_params)
    relay = relay_of(request)
    store, provider_id = relay.store, caller.provider_id
    loop = asyncio.get_running_loop()
    deadline = loop.time() + query.wait
    # Take the event before reading, so a commit between the read and the wait still wakes.
    changed = relay.notifier.current(provider_id)
    plans_version = first_version = await store.plans.version(provider_id)
    # The page, then head: head >= every seq in the page. (Head first would lose a payment that
    # changes in between: it leaves its old seq and takes one above head, out of this page.)
    # One query joins the page's stored items (issue 21: one indexed read and a byte join).
    cursor, count, items = await store.feed_chunk(provider_id, query.after, NO_LIMIT, query.limit)
    head = await store.feed_head(provider_id)
    # A cursor above head comes from history this store never had (a restore): answer at once,
    # the desk starts again from zero.
    if not count and query.wait > 0 and query.after <= head:
        with relay.waiters.holding(caller.token_key):
            # A plan write also ends the wait, so every desk reloads the plans at once.
            while not count and plans_version == first_version:
                if (remaining := deadline - loop.time()) <= 0:
                    break
                if relay.notifier.recheck_s is not None:
                    remaining = min(remaining, relay.notifier.recheck_s)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)
                    # Revoking a desk wakes its provider's feed: the revoked desk hears at once.
                    await still_valid(request, caller)
                changed = relay.notifier.current(provider_id)
                plans_version = await store.plans.version(provider_id)
                cursor, count, items = await store.feed_chunk(
                    provider_id, query.after, NO_LIMIT, query.limit
                )
                head = await store.feed_head(provider_id)
    # The hottest read route: the store's rendered items, no pydantic pass (see feed_json).
    body = page_json(items, cursor, store.store_id, head, plans_version)
    return Response(body, media_type="application/json")
