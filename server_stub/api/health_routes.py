"""`GET /healthz`: liveness, store health, and the answer to the relay's own nonce check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from server_stub.api.errors import error_responses
from server_stub.api.query_guard import only_query
from server_stub.api.schemas import HealthResponse
from server_stub.api.state import relay_of

router = APIRouter()


@router.get(
    "/healthz",
    response_model=HealthResponse,
    responses=error_responses(400),
    dependencies=[Depends(only_query("nonce"))],
)
async def healthz(
    request: Request, nonce: Annotated[str | None, Query(max_length=64)] = None
) -> HealthResponse:
    """Liveness and store health; `nonce_ok` is true once for a nonce this relay issued."""
    relay = relay_of(request)
    store_ok = await relay.store.healthy()
    return HealthResponse(
        status="ok" if store_ok else "degraded",
        store="ok" if store_ok else "unavailable",
        nonce_ok=relay.nonces.consume(nonce) if nonce else None,
    )
