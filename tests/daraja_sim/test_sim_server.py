"""The simulator's listening socket: keep-alive answers leave at once."""

from __future__ import annotations

import socket

from server_stub.daraja_sim.server import bind_socket


def test_accepted_connections_have_nagle_off() -> None:
    # With Nagle on, every keep-alive answer (headers, then body: two writes) waited for the
    # client's delayed ACK, 40 ms a request; asyncio turns it off only for IPPROTO_TCP sockets.
    listener = bind_socket("127.0.0.1", 0)
    try:
        assert listener.proto == socket.IPPROTO_TCP
        with socket.create_connection(listener.getsockname()[:2]) as _client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        listener.close()
