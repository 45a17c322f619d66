"""What the relay's plain-ASGI fast paths share: request ids, the client address, the answer.

The callback and feed routes are answered ahead of the app's middleware (`callback_endpoint`,
`feed_endpoint`); for the logs they set the request id and client address as `RequestIds` does,
and answer with the `X-Request-ID` header the middleware would have added.
"""

from __future__ import annotations

import random
from contextvars import Token

from starlette.responses import Response
from starlette.types import Scope, Send

from server_stub.operations.logs import current_client, current_request_id
from server_stub.operations.settings import IpNetwork
from server_stub.payments.callbacks import client_address


class FastPath:
    """A fast path's request context: a request id and the client address behind proxies."""

    def __init__(self, trusted_proxies: tuple[IpNetwork, ...]) -> None:
        self._trusted = trusted_proxies
        # As RequestIds: ids tell requests apart in the logs, they guard nothing.
        self._ids = random.Random()  # noqa: S311 - seeded from os.urandom, not a secret

    def source(self, scope: Scope, forwarded: str | None) -> str:
        """The client's address: the peer, or X-Forwarded-For from a trusted proxy."""
        peer = scope["client"][0] if scope.get("client") else ""
        return client_address(peer, forwarded, self._trusted)

    def context(self, source: str) -> RequestContext:
        """A new request id, with it and `source` set for the logs while the request runs."""
        return RequestContext(f"{self._ids.getrandbits(64):016x}", source)


class RequestContext:
    """Sets the request id and client address for the logs; `with` gives the request id.

    A class rather than a @contextmanager generator: a few microseconds less on every
    callback and feed page (issue 21).
    """

    __slots__ = ("_client_token", "_id_token", "request_id", "source")
    _id_token: Token[str | None]
    _client_token: Token[str | None]

    def __init__(self, request_id: str, source: str) -> None:
        self.request_id = request_id
        self.source = source

    def __enter__(self) -> str:
        self._id_token = current_request_id.set(self.request_id)
        self._client_token = current_client.set(self.source)
        return self.request_id

    def __exit__(self, *_: object) -> None:
        current_request_id.reset(self._id_token)
        current_client.reset(self._client_token)


async def send_response(send: Send, response: Response, request_id: str) -> None:
    """Send a whole (non-streamed) response with its request id."""
    headers = [*response.raw_headers, (b"x-request-id", request_id.encode())]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
