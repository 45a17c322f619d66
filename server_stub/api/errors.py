"""Turning every refusal into `{"success": false, "error": {...}}`, never a traceback."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from server_stub.api.schemas import ErrorResponse
from server_stub.errors import ClientGone, RelayError

log = logging.getLogger(__name__)

_LOCATIONS = ("body", "query", "header", "path", "cookie")
_HTTP_CODES = {
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
}


def error_json(error: RelayError) -> JSONResponse:
    """The JSON response for a RelayError."""
    detail: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.field:
        detail["field"] = error.field
    headers = None
    if error.retry_after_s is not None:
        headers = {"Retry-After": str(max(1, math.ceil(error.retry_after_s)))}
    return JSONResponse(
        {"success": False, "error": detail}, status_code=error.status, headers=headers
    )


def validation_error(error: ValidationError | RequestValidationError) -> RelayError:
    """The first problem of a validation failure, as one sentence naming the field."""
    first = error.errors()[0] if error.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part not in _LOCATIONS]
    # Bodies and queries are flat: the first element names the field (the rest are union arms).
    field = location[0] if location else None
    label = field or "The request"
    if first.get("type") == "missing":
        message = f"{label} is required."
    else:
        message = f"{label}: {first.get('msg', 'is not valid')}."
    return RelayError(message, code="invalid", field=field)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    if 401 in statuses:
        # Whoever checks a token may also be locked out for guessing (see the rate limits).
        statuses = (*statuses, 429)
    return {status: {"model": ErrorResponse, "description": "Refused"} for status in statuses}


def internal_error(error: Exception) -> JSONResponse:
    """The 500 answer for an exception nobody expected, logged by its type alone."""
    # The type only: exception text may quote request data.
    log.error("Unexpected error while answering a request: %s", type(error).__name__)
    return error_json(
        RelayError(
            "The relay had an internal problem: try again shortly.", code="internal", status=500
        )
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every failure the error envelope."""

    async def relay_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RelayError)
        return error_json(error)

    async def request_validation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return error_json(validation_error(error))

    async def http_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        code, message = _HTTP_CODES.get(error.status_code, ("http_error", "Request refused."))
        return error_json(RelayError(message, code=code, status=error.status_code))

    async def client_gone(request: Request, _: Exception) -> Response:
        # An everyday event (a phone dropping off the network), not a fault: one line, no
        # traceback, so anyone hanging up mid-body cannot flood the log.
        log.info("Client hung up before sending its whole request (%s).", request.url.path)
        return Response(status_code=400)

    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        return internal_error(error)

    app.add_exception_handler(ClientGone, client_gone)
    app.add_exception_handler(RelayError, relay_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
