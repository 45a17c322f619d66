"""`POST /payments/callback/{provider_id}/{token}/`: Safaricom's STK callback."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server_stub.api.bodies import json_content_type_error, read_capped, too_large
from server_stub.api.callback_schema import CALLBACK_BODY
from server_stub.api.errors import error_responses
from server_stub.api.schemas import CallbackAck
from server_stub.api.state import relay_of
from server_stub.callbacks import client_address

router = APIRouter()
ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}

_CALLBACK_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Daraja's STK callback (DARAJA.md, 'Callback').",
        "content": {"application/json": {"schema": CALLBACK_BODY}},
    }
}


@router.post(
    "/payments/callback/{provider_id}/{token}/",
    response_model=CallbackAck,
    openapi_extra=_CALLBACK_SCHEMA,
    responses=error_responses(400, 403, 408, 413, 415, 429),
)
async def stk_callback(request: Request, provider_id: str, token: str) -> JSONResponse:
    """Store the callback durably, apply it, then acknowledge (4xx for malformed bodies)."""
    relay = relay_of(request)
    cap = relay.settings.callback_max_bytes
    peer = request.client.host if request.client else ""
    source = client_address(
        peer, request.headers.get("x-forwarded-for"), relay.settings.trusted_proxies
    )
    await relay.inbox.admit(token, source)
    body, over = await read_capped(request, cap)
    refusal = too_large(cap) if over else json_content_type_error(request)
    await relay.inbox.receive(provider_id, token, source, body, refusal)
    return JSONResponse(ACCEPTED)
