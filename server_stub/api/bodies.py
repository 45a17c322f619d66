"""Reading request bodies: size cap enforced while reading, JSON content type, strict JSON."""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.types import Message, Receive

from server_stub.api.errors import validation_error
from server_stub.api.state import relay_of
from server_stub.errors import ClientGone, RelayError
from server_stub.payments.strict_json import JsonBodyError, parse_strict_object

M = TypeVar("M", bound=BaseModel)


def too_large(cap: int) -> RelayError:
    """The refusal for a body over the cap."""
    return RelayError(
        f"The request body is larger than {cap} bytes.", code="body_too_large", status=413
    )


def json_content_type_error(request: Request) -> RelayError | None:
    """A 415 refusal unless the body is declared as application/json."""
    return content_type_refusal(request.headers.get("content-type", ""))


def content_type_refusal(content_type: str) -> RelayError | None:
    """A 415 refusal unless `content_type` is application/json (parameters aside)."""
    if content_type.split(";")[0].strip().lower() == "application/json":
        return None
    return RelayError(
        "Send the body as JSON with Content-Type: application/json.",
        code="unsupported_media_type",
        status=415,
    )


async def read_capped(request: Request, cap: int) -> tuple[bytes, bool]:
    """The request's body, or its first `cap` bytes and True when it is longer."""
    return await read_body(
        request.receive,
        request.headers.get("content-length", ""),
        cap,
        relay_of(request).settings.body_timeout_s,
    )


async def read_body(
    receive: Receive, declared: str, cap: int, timeout_s: float
) -> tuple[bytes, bool]:
    """The body, or its first `cap` bytes and True when it is longer (the rest is never read).

    The whole body must arrive within `timeout_s` (RELAY_BODY_TIMEOUT_S; 408 otherwise): a
    client that promises 1000 bytes and sends 6 must not hold its connection forever.
    """
    if declared.isascii() and declared.isdigit() and int(declared) > cap:
        return b"", True
    # A body that has already arrived (nearly every one) is read without arming the deadline:
    # its timer cost a few microseconds on every callback (issue 21).
    first = receive()
    if inspect.iscoroutine(first):
        try:
            waiting = first.send(None)
        except StopIteration as done:
            message: Message = done.value
            if message["type"] == "http.request" and not message.get("more_body", False):
                body: bytes = message.get("body", b"")
                return (body[:cap], True) if len(body) > cap else (body, False)
            first = _already(message)
        else:
            first = _resumed(first, waiting)
    try:
        async with asyncio.timeout(timeout_s):
            return await _read_up_to(receive, cap, first)
    except TimeoutError:
        raise RelayError(
            f"The request body did not arrive within {timeout_s:g} seconds.",
            code="body_timeout",
            status=408,
        ) from None


async def _already(message: Message) -> Message:
    return message


@types.coroutine
def _resumed(coroutine: Coroutine[Any, Any, Message], waiting: Any) -> Generator[Any, Any, Message]:
    """Go on with a coroutine that has started and is waiting for `waiting` (as `await` would,
    handing what the event loop sends or throws on to it)."""
    while True:
        try:
            try:
                sent = yield waiting
            except BaseException as error:
                waiting = coroutine.throw(error)
            else:
                waiting = coroutine.send(sent)
        except StopIteration as done:
            message: Message = done.value
            return message


async def _read_up_to(receive: Receive, cap: int, first: Awaitable[Message]) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    pending: Awaitable[Message] | None = first
    while True:
        message: Message = await (pending if pending is not None else receive())
        pending = None
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            chunks.append(chunk[: cap - (size - len(chunk))])
            return b"".join(chunks), True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks), False


async def json_body(request: Request, model: type[M], cap: int, *, empty_ok: bool = False) -> M:
    """The body checked strictly and validated as `model`; RelayError 4xx otherwise."""
    body, over = await read_capped(request, cap)
    if over:
        raise too_large(cap)
    if empty_ok and not body.strip():
        return model.model_validate({})
    refusal = json_content_type_error(request)
    if refusal is not None:
        raise refusal
    try:
        data = parse_strict_object(body)
    except JsonBodyError as error:
        raise RelayError(error.message, code="invalid_json", field=error.field) from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_error(error) from None
