"""`GET /healthz`: liveness, store health, and the answer to the relay's own nonce check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from server_stub.api.errors import error_responses
from server_stub.api.query_guard import only_query
from server_stub.api.schemas import HealthResponse
from server_stub.api.state import relay_of
from server_stub.version import relay_version

router = APIRouter()


# HEAD too: uptime monitors and load balancers often probe with it (kept out of the OpenAPI
# document, where it would repeat the GET operation).
@router.head("/healthz", include_in_schema=False, dependencies=[Depends(only_query("nonce"))])
@router.get(
    "/healthz",
    response_model=HealthResponse,
    responses=error_responses(400),
    dependencies=[Depends(only_query("nonce"))],
)
async def healthz(
    request: Request, nonce: Annotated[str | None, Query(max_length=64)] = None
) -> HealthResponse:
    """Liveness, store health and identity; `nonce_ok` is true once for a nonce it issued."""
    relay = relay_of(request)
    store = relay.store
    store_ok = await store.healthy()
    return HealthResponse(
        status="ok" if store_ok else "degraded",
        store="ok" if store_ok else "unavailable",
        version=relay_version(),
        store_id=store.store_id,
        schema_version=store.schema_version,
        database=relay.settings.database_label,
        nonce_ok=await relay.nonces.consume(nonce) if nonce else None,
    )
