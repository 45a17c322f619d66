"""`bucket-relay`: serve the relay, and the operator's commands (DESIGN.md section 4)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from server_stub import admin
from server_stub.atrest import AtRestError
from server_stub.logs import configure_logging
from server_stub.settings import RelaySettings, SettingsError, load_settings
from server_stub.store.migrations import MigrationError
from server_stub.store.records import Role
from server_stub.store.sqlite_store import StoreOpenError

log = logging.getLogger(__name__)
_CLEAN_ERRORS = (SettingsError, AtRestError, StoreOpenError, MigrationError, admin.AdminError)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bucket-relay",
        description="Payment Bucket callback relay. Settings come from the environment "
        "(ENCRYPTION_KEY, BASE_URL, DATABASE_URL, RELAY_DATA_DIR, ...).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the relay")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    create = commands.add_parser("create-provider", help="add a provider; prints its tokens")
    create.add_argument("--name", required=True)
    issue = commands.add_parser("issue-token", help="issue another token for a provider")
    issue.add_argument("--provider", type=int, required=True)
    issue.add_argument("--role", choices=[role.value for role in Role], required=True)
    revoke = commands.add_parser("revoke-token", help="revoke a token at once")
    revoke.add_argument("token")
    creds = commands.add_parser(
        "set-credentials", help="store a provider's credentials JSON read from stdin"
    )
    creds.add_argument("--provider", type=int, required=True)
    commands.add_parser("rotate-key", help="re-encrypt everything with the newest key")
    limit = commands.add_parser(
        "set-push-limit",
        help="a provider's own STK pushes-per-minute limit (default: RELAY_PUSHES_PER_MINUTE)",
    )
    limit.add_argument("--provider", type=int, required=True)
    per_minute = limit.add_mutually_exclusive_group(required=True)
    per_minute.add_argument("--per-minute", type=int, metavar="N")
    per_minute.add_argument(
        "--default", action="store_true", help="use RELAY_PUSHES_PER_MINUTE again"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors are one sentence on stderr and a non-zero exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(os.environ)
        configure_logging(settings.log_level)
        if args.command == "serve":
            return _serve(settings, args.host, args.port)
        _print_json(asyncio.run(_admin_command(settings, args)))
    except _CLEAN_ERRORS as error:
        print(f"bucket-relay: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _admin_command(settings: RelaySettings, args: argparse.Namespace) -> Coroutine[Any, Any, Any]:
    if args.command == "create-provider":
        return admin.create_provider(settings, args.name)
    if args.command == "issue-token":
        return admin.issue_token(settings, args.provider, Role(args.role))
    if args.command == "revoke-token":
        return admin.revoke_token(settings, args.token)
    if args.command == "set-credentials":
        return admin.set_credentials(settings, args.provider, sys.stdin.buffer.read())
    if args.command == "set-push-limit":
        return admin.set_push_limit(settings, args.provider, args.per_minute)
    return admin.rotate_key(settings)


def _serve(settings: RelaySettings, host: str, port: int) -> int:
    # Imported here: the web stack takes half a second to import, and admin commands never
    # need it.
    import uvicorn

    from server_stub.app import create_app
    from server_stub.http_guard import guarded_protocol

    asyncio.run(admin.check_startup(settings))
    sock = _listening_socket(host, port)
    bound_port = int(sock.getsockname()[1])
    settings = settings.with_listen_address(host, bound_port)
    shown_host = f"[{host}]" if ":" in host else host

    def announce() -> None:
        print(f"listening on http://{shown_host}:{bound_port}", flush=True)
        log.info("Relay ready; callbacks go to %s/payments/callback/...", settings.base_url)

    app = create_app(settings, on_ready=announce)
    config = uvicorn.Config(
        app,
        http=guarded_protocol(
            settings.header_timeout_s,
            settings.max_connections_per_address,
            settings.trusted_proxies,
        ),
        limit_concurrency=settings.max_connections,
        log_config=None,
        access_log=settings.access_log,
        lifespan="on",
        timeout_graceful_shutdown=5,
        server_header=False,
        # X-Forwarded-For is honoured only from TRUSTED_PROXIES (server_stub.rate_limit);
        # uvicorn's own handling would trust it from 127.0.0.1 regardless of that setting.
        proxy_headers=False,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SettingsError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2), flush=True)
