"""Safaricom's STK callbacks answered by plain ASGI, ahead of the app's middleware (issue 21).

The callback is the relay's hottest route: py-spy put FastAPI's routing, dependency solving,
exception and middleware layers at about a third of the event loop's time per callback, more
than the callback's own checks. `RelayApp` (server_stub.app) hands
`POST /payments/callback/{provider_id}/{token}/` to `CallbackFastPath` before any of them; it
answers with the same bytes, statuses and headers as the FastAPI route in `callback_routes`
(which stays registered for the OpenAPI document and answers every other method), sets the
request id and client address for the logs as `RequestIds` does, and refuses through the same
`error_json`.
"""

from __future__ import annotations

import logging
import re

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from server_stub.api.bodies import content_type_refusal, read_body, too_large
from server_stub.api.errors import error_json, internal_error
from server_stub.api.fast_path import FastPath, send_response
from server_stub.api.state import RelayServices
from server_stub.errors import ClientGone, RelayError
from server_stub.payments.callbacks import client_address

log = logging.getLogger(__name__)

CALLBACK_PATH = "/payments/callback/{provider_id}/{token}/"
# Starlette's `{name}` path parameters match `[^/]+`; the path in the scope is already decoded.
_PATH = re.compile(CALLBACK_PATH.replace("{provider_id}", "([^/]+)").replace("{token}", "([^/]+)"))
ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
_ACCEPTED_RESPONSE = JSONResponse(ACCEPTED)


class CallbackFastPath(FastPath):
    """Answers callback POSTs with the request id and client address in context."""

    def match(self, scope: Scope) -> re.Match[str] | None:
        """The callback path's parameters when this request is a callback POST."""
        if scope["type"] == "http" and scope["method"] == "POST":
            return _PATH.fullmatch(scope["path"])
        return None

    async def answer(
        self,
        relay: RelayServices,
        scope: Scope,
        receive: Receive,
        send: Send,
        match: re.Match[str],
    ) -> None:
        """Store and apply the callback, then answer it (an error JSON for a refusal)."""
        headers = _first_headers(scope)
        source = self.source(scope, headers.get(b"x-forwarded-for"))
        with self.context(source) as request_id:
            try:
                await receive_callback(relay, scope, receive, match[1], match[2], headers, source)
                response: Response = _ACCEPTED_RESPONSE
            except RelayError as error:
                response = error_json(error)
            except ClientGone:
                # As the app's handler: an everyday event, one line, no traceback.
                log.info("Client hung up before sending its whole request (%s).", scope["path"])
                response = Response(status_code=400)
            except Exception as error:
                # As the app's outermost layer: the error answer, then the exception goes on.
                await send_response(send, internal_error(error), request_id)
                raise
            await send_response(send, response, request_id)


async def receive_callback(
    relay: RelayServices,
    scope: Scope,
    receive: Receive,
    provider_id: str,
    token: str,
    headers: dict[bytes, str] | None = None,
    source: str | None = None,
) -> None:
    """Admit, read (capped, with a deadline), store and apply one callback; RelayError refuses."""
    headers = _first_headers(scope) if headers is None else headers
    settings = relay.settings
    if source is None:
        peer = scope["client"][0] if scope.get("client") else ""
        source = client_address(peer, headers.get(b"x-forwarded-for"), settings.trusted_proxies)
    await relay.inbox.admit(token, source)
    cap = settings.callback_max_bytes
    declared = headers.get(b"content-length", "")
    body, over = await read_body(receive, declared, cap, settings.body_timeout_s)
    refusal = too_large(cap) if over else content_type_refusal(headers.get(b"content-type", ""))
    await relay.inbox.receive(provider_id, token, source, body, refusal)


_WANTED = (b"x-forwarded-for", b"content-length", b"content-type")


def _first_headers(scope: Scope) -> dict[bytes, str]:
    # The first of each (as Starlette's Headers.get reads them), and only the three we use.
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _WANTED and name not in found:
            found[name] = value.decode("latin-1")
    return found
