"""The Daraja simulator for bench_access.py's ingest turns, in its own process.

Usage: python bench/access_sim.py (prints `listening on URL` once ready)

The bench's pushes are seeded straight into the relay's store (relay_seed.py), so the simulator
never saw them: this one knows every `ws_CO_BENCH_<n>` push of the default app as paid and
decided, so the relay's confirming STK queries get Daraja's agreeing answer (the path a real
confirmation takes) instead of "invalid CheckoutRequestID". Runs in its own process so that
bench_access.py can pin it, with wrk, away from the relays under test.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from server_stub.daraja_sim.app import create_app
from server_stub.daraja_sim.scenarios import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_SHORTCODE,
    PAID,
)
from server_stub.daraja_sim.server import AnnouncingServer, base_url_of, bind_socket, uvicorn_config
from server_stub.daraja_sim.state import Push

BENCH_PREFIX = "ws_CO_BENCH_"


class BenchPushes(dict[str, Push]):
    """The simulator's pushes, with every bench push made (paid, decided) when first asked."""

    def get(self, key: str, default: Push | None = None) -> Push | None:  # type: ignore[override]
        """A known push, or a bench push made on the spot."""
        found = super().get(key)
        if found is None and key.startswith(BENCH_PREFIX):
            found = Push(
                checkout_request_id=key,
                merchant_request_id="MR",
                consumer_key=DEFAULT_CONSUMER_KEY,
                shortcode=DEFAULT_SHORTCODE,
                phone="254708374149",
                amount=10,
                account_reference="BENCH",
                callback_url="http://127.0.0.1/unused",
                scenario=PAID,
                created_at=0.0,
                decided_at=0.0,
                answered_at=datetime(2026, 11, 26, 12, 0, 0),
                receipt_number=f"BEN{key.removeprefix(BENCH_PREFIX).zfill(7)}",
            )
            self[key] = found
        return found if found is not None else default


def main() -> int:
    """Serve until terminated."""
    app = create_app()
    app.state.simulator.state.pushes = BenchPushes()
    sock = bind_socket("127.0.0.1", 0)
    url = base_url_of(sock)
    server = AnnouncingServer(uvicorn_config(app), lambda: print(f"listening on {url}", flush=True))
    try:
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
