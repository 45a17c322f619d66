"""The payment feed: changes after a cursor, long-polled (woken on commit, never polled)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from server_stub.api.auth import Caller, any_role
from server_stub.api.errors import error_responses
from server_stub.api.feed_json import page_json
from server_stub.api.query_guard import only_query
from server_stub.api.schemas import PaymentsPage
from server_stub.api.state import relay_of

router = APIRouter(prefix="/payments/bucket")
MAX_WAIT_S = 30.0
MAX_CURSOR = 2**62


@router.get(
    "/payments/",
    response_model=PaymentsPage,
    responses=error_responses(400, 401),
    dependencies=[Depends(only_query("after", "wait", "limit"))],
)
async def payments(
    request: Request,
    caller: Annotated[Caller, Depends(any_role)],
    after: Annotated[int, Query(ge=0, le=MAX_CURSOR, description="Last cursor seen")] = 0,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_S, description="Seconds to wait")] = 0.0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """The provider's payment changes after `after`, oldest first, waiting up to `wait` s."""
    relay = relay_of(request)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        # Take the event before reading, so a commit between the read and the wait still wakes.
        changed = relay.notifier.current(caller.provider_id)
        rows = await relay.store.payments_after(caller.provider_id, after, limit)
        remaining = deadline - loop.time()
        if rows or remaining <= 0:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), remaining)
    cursor = rows[-1].seq if rows and rows[-1].seq is not None else after
    # The hottest read route: cached per-payment JSON, no pydantic pass (see feed_json).
    return Response(page_json(rows, cursor), media_type="application/json")
