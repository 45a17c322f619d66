"""`python -m server_stub.daraja_sim`: run the simulator from a shell."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from server_stub.daraja_sim.app import create_app
from server_stub.daraja_sim.config import SimConfig
from server_stub.daraja_sim.scenarios import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
    DEFAULT_SHORTCODE,
    DEFAULT_STORE_NUMBER,
    DEFAULT_TILL_NUMBER,
    scenario_table_text,
)
from server_stub.daraja_sim.server import (
    AnnouncingServer,
    base_url_of,
    bind_socket,
    is_loopback,
    uvicorn_config,
)

TIMING_OPTIONS = (
    "callback_delay",
    "prompt_lifetime",
    "late_callback_delay",
    "token_lifetime",
    "min_query_interval",
)


def _epilog() -> str:
    return (
        "Default app (Basic auth for /oauth/v1/generate):\n"
        f"  consumer key     {DEFAULT_CONSUMER_KEY}\n"
        f"  consumer secret  {DEFAULT_CONSUMER_SECRET}\n"
        f"  paybill          {DEFAULT_SHORTCODE}\n"
        f"  till             {DEFAULT_TILL_NUMBER} (store number {DEFAULT_STORE_NUMBER})\n"
        f"  passkey          {DEFAULT_PASSKEY}\n"
        "\nScenario phones (PhoneNumber of the push -> what happens):\n"
        f"{scenario_table_text()}\n"
        "\nControl API: GET /sim/scenarios, PUT|DELETE /sim/scenarios/phone/{phone},\n"
        "PUT|DELETE /sim/scenarios/next, POST /sim/apps, GET /sim/requests, GET /sim/pushes,\n"
        "POST /sim/reset. Point the relay or desktop at it with DARAJA_BASE_URL.\n"
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line, with the scenario table in `--help`."""
    defaults = SimConfig()
    parser = argparse.ArgumentParser(
        prog="python -m server_stub.daraja_sim",
        description="Offline Safaricom Daraja simulator: OAuth, STK push, STK query, callbacks.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only)")
    parser.add_argument("--port", type=int, default=8081, help="port; 0 picks a free one")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (never in shops)"
    )
    timing = parser.add_argument_group("timings (seconds)")
    timing.add_argument("--callback-delay", type=float, default=defaults.callback_delay_s)
    timing.add_argument("--prompt-lifetime", type=float, default=defaults.prompt_lifetime_s)
    timing.add_argument("--late-callback-delay", type=float, default=defaults.late_callback_delay_s)
    timing.add_argument("--token-lifetime", type=float, default=defaults.token_lifetime_s)
    timing.add_argument(
        "--min-query-interval",
        type=float,
        default=defaults.min_query_interval_s,
        help="queries on one push closer than this get 500.003.02 (0: off)",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    return parser


def config_from(args: argparse.Namespace) -> SimConfig:
    """SimConfig from parsed arguments."""
    return SimConfig(
        callback_delay_s=args.callback_delay,
        prompt_lifetime_s=args.prompt_lifetime,
        late_callback_delay_s=args.late_callback_delay,
        token_lifetime_s=args.token_lifetime,
        min_query_interval_s=args.min_query_interval,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run until interrupted; the first stdout line is `listening on http://HOST:PORT`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not is_loopback(args.host) and not args.allow_remote:
        parser.error(
            f"refusing to listen on {args.host}: the simulator is for this computer only "
            "(use --allow-remote if you really mean it)"
        )
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    for name in TIMING_OPTIONS:
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} cannot be negative")
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    url = base_url_of(sock)

    def announce() -> None:
        print(f"listening on {url}", flush=True)

    server = AnnouncingServer(
        uvicorn_config(create_app(config_from(args)), log_level=args.log_level), announce
    )
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
