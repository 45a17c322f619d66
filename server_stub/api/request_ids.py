"""A request id and the caller's real address for every request, for the logs.

Set in context variables that `server_stub.operations.logs.JsonFormatter` adds to each line
(RELAY_LOG_FORMAT=json), and answered in the `X-Request-ID` header so a desk's or an operator's
report can be matched with the log. Pure ASGI, so the long-polled feed is not buffered.
"""

from __future__ import annotations

import random

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server_stub.operations.logs import current_client, current_request_id
from server_stub.operations.settings import IpNetwork
from server_stub.payments.callbacks import client_address


class RequestIds:
    """Tags each HTTP request with a fresh id and the client address it was believed to have."""

    def __init__(self, app: ASGIApp, trusted_proxies: tuple[IpNetwork, ...]) -> None:
        self._app = app
        self._trusted = trusted_proxies
        # Ids only tell requests apart in the logs; they guard nothing. secrets.token_hex made a
        # getrandom call per request, which hands the GIL to the store's writer thread each time
        # (py-spy: a sixth of the loop's time on the callback route waited there).
        self._ids = random.Random()  # noqa: S311 - seeded from os.urandom, not a secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its id and client address in context."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = f"{self._ids.getrandbits(64):016x}"
        peer = scope["client"][0] if scope.get("client") else ""
        forwarded = None
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                forwarded = value.decode("latin-1")
                break  # the first, as server_stub.security.rate_limit reads it
        id_token = current_request_id.set(request_id)
        client_token = current_client.set(client_address(peer, forwarded, self._trusted))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self._app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(id_token)
            current_client.reset(client_token)
