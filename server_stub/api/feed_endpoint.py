"""The payment feed's GET answered by plain ASGI, ahead of the app's middleware (issue 21).

Every desk long-polls the feed, and a desk catching up reads it page after page. py-spy put
FastAPI's routing, middleware and exception layers at about half the event loop's time for a
full 100-item page, more than the page's own read. `RelayApp` (server_stub.app) hands
`GET /payments/bucket/payments/` here before any of them; the same handler as the FastAPI route
(`feed_routes.payments`, still registered for the OpenAPI document and every other method)
answers, with the request id and client address set for the logs as `RequestIds` does, and
refusals through the same `error_json`.
"""

from __future__ import annotations

import random

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server_stub.api.errors import error_json, internal_error
from server_stub.api.feed_routes import FEED_PATH, payments
from server_stub.errors import RelayError
from server_stub.operations.logs import current_client, current_request_id
from server_stub.operations.settings import IpNetwork
from server_stub.payments.callbacks import client_address

_FORWARDED = b"x-forwarded-for"


class FeedFastPath:
    """Answers feed GETs with the request id and client address in context."""

    def __init__(self, trusted_proxies: tuple[IpNetwork, ...]) -> None:
        self._trusted = trusted_proxies
        # As RequestIds: ids tell requests apart in the logs, they guard nothing.
        self._ids = random.Random()  # noqa: S311 - seeded from os.urandom, not a secret

    @staticmethod
    def matches(scope: Scope) -> bool:
        """Whether this request is a feed GET."""
        return bool(
            scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == FEED_PATH
        )

    async def answer(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the feed handler; a refusal becomes its error JSON, as in the whole app."""
        request_id = f"{self._ids.getrandbits(64):016x}"
        peer = scope["client"][0] if scope.get("client") else ""
        # The first X-Forwarded-For, as server_stub.security.rate_limit reads it.
        forwarded = next(
            (value.decode("latin-1") for name, value in scope["headers"] if name == _FORWARDED),
            None,
        )
        id_token = current_request_id.set(request_id)
        client_token = current_client.set(client_address(peer, forwarded, self._trusted))
        scope["app"] = app  # what Starlette sets for `request.app` (the relay's services)
        try:
            try:
                response = await payments(Request(scope, receive))
            except RelayError as error:
                response = error_json(error)
            except Exception as error:
                # As the app's outermost layer: the error answer, then the exception goes on.
                await _send(send, internal_error(error), request_id)
                raise
            await _send(send, response, request_id)
        finally:
            current_request_id.reset(id_token)
            current_client.reset(client_token)


async def _send(send: Send, response: Response, request_id: str) -> None:
    headers = [*response.raw_headers, (b"x-request-id", request_id.encode())]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
