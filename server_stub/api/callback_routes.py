"""`POST /payments/callback/{provider_id}/{token}/`: Safaricom's STK callback.

The served app answers these POSTs in `callback_endpoint.CallbackEndpoint`, ahead of FastAPI's
routing; this route publishes the operation in the OpenAPI document and does the same work
wherever that layer is not installed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server_stub.api.callback_endpoint import ACCEPTED, CALLBACK_PATH, receive_callback
from server_stub.api.callback_schema import CALLBACK_BODY
from server_stub.api.errors import error_responses
from server_stub.api.schemas import CallbackAck
from server_stub.api.state import relay_of

router = APIRouter()

_CALLBACK_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Daraja's STK callback (DARAJA.md, 'Callback').",
        "content": {"application/json": {"schema": CALLBACK_BODY}},
    }
}


@router.post(
    CALLBACK_PATH,
    response_model=CallbackAck,
    openapi_extra=_CALLBACK_SCHEMA,
    responses=error_responses(400, 403, 408, 413, 415, 429),
)
async def stk_callback(request: Request, provider_id: str, token: str) -> JSONResponse:
    """Store the callback durably, apply it, then acknowledge (4xx for malformed bodies)."""
    await receive_callback(relay_of(request), request.scope, request.receive, provider_id, token)
    return JSONResponse(ACCEPTED)
