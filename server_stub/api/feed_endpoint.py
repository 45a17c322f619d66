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

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from server_stub.api.errors import error_json, internal_error
from server_stub.api.fast_path import FastPath, send_response
from server_stub.api.feed_routes import FEED_PATH, payments
from server_stub.errors import RelayError

_FORWARDED = b"x-forwarded-for"


class FeedFastPath(FastPath):
    """Answers feed GETs with the request id and client address in context."""

    @staticmethod
    def matches(scope: Scope) -> bool:
        """Whether this request is a feed GET."""
        return bool(
            scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == FEED_PATH
        )

    async def answer(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the feed handler; a refusal becomes its error JSON, as in the whole app."""
        # The first X-Forwarded-For, as server_stub.security.rate_limit reads it.
        forwarded = next(
            (value.decode("latin-1") for name, value in scope["headers"] if name == _FORWARDED),
            None,
        )
        with self.context(self.source(scope, forwarded)) as request_id:
            scope["app"] = app  # what Starlette sets for `request.app` (the relay's services)
            try:
                response = await payments(Request(scope, receive))
            except RelayError as error:
                response = error_json(error)
            except Exception as error:
                # As the app's outermost layer: the error answer, then the exception goes on.
                await send_response(send, internal_error(error), request_id)
                raise
            await send_response(send, response, request_id)
