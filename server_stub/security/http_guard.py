"""Connection guards the HTTP server lacks: a deadline for the request head, per-address caps.

uvicorn keeps a connection open for as long as a client trickles its request head, and accepts
any number of connections from one address: ~110 stalled connections from one attacker starved
/healthz (issue 11). The body has its own deadline in `server_stub.api.bodies`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server_stub.operations.settings import IpNetwork
from server_stub.payments.callbacks import address_within

log = logging.getLogger(__name__)

_TOO_MANY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"connection: close\r\nretry-after: 10\r\ncontent-length: %d\r\n\r\n%s"
)
_TOO_MANY_BODY = (
    b'{"success": false, "error": {"code": "too_many_connections", '
    b'"message": "Too many open connections from your address: close some and try again."}}'
)


def guarded_protocol(
    header_timeout_s: float, per_address: int, exempt: tuple[IpNetwork, ...]
) -> type[asyncio.Protocol]:
    """An HTTP protocol class for uvicorn with these limits (one class per served relay)."""
    open_connections: Counter[str] = Counter()

    class GuardedHttpProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, closing slow heads and refusing connection hoarders."""

        _head_timer: asyncio.TimerHandle | None = None
        # When the request head now arriving began (None: no head in progress).
        _head_since: float | None = None
        _counted_for: str | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            address = self.client[0] if self.client else ""
            if address and not address_within(address, exempt):
                if open_connections[address] >= per_address:
                    log.debug("Refused a connection over the per-address cap.")
                    transport.write(_TOO_MANY % (len(_TOO_MANY_BODY), _TOO_MANY_BODY))
                    transport.close()
                    return
                open_connections[address] += 1
                self._counted_for = address
            self._head_begins()

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_since = None
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            if self._counted_for is not None:
                open_connections[self._counted_for] -= 1
                if open_connections[self._counted_for] <= 0:
                    del open_connections[self._counted_for]
                self._counted_for = None
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            # A keep-alive connection's next request gets its own deadline from its first byte.
            super().on_message_begin()
            self._head_begins()

        def on_headers_complete(self) -> None:
            self._head_since = None
            super().on_headers_complete()

        def _head_begins(self) -> None:
            # One timer per connection, kept across its keep-alive requests and looked at when
            # it fires: a timer armed and cancelled for every request cost the event loop about
            # a twentieth of its time per callback (issue 21).
            if self._head_since is None:  # a first head's deadline runs from the connection
                self._head_since = self.loop.time()
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(header_timeout_s, self._head_deadline)

        def _head_deadline(self) -> None:
            self._head_timer = None
            if self._head_since is None:
                return  # no head in progress: the next one arms the timer again
            left = self._head_since + header_timeout_s - self.loop.time()
            if left > 0:
                self._head_timer = self.loop.call_later(left, self._head_deadline)
            elif not self.transport.is_closing():
                log.debug("Closed a connection whose request head did not arrive in time.")
                self.transport.close()

    return GuardedHttpProtocol
