"""`bucket-relay`: serve the relay, and the operator's commands (DESIGN.md section 4).

Output (DESIGN.md section 13): JSON alone on stdout; the database in use, warnings and errors as
sentences on stderr. A refused `serve` exits with EX_CONFIG (78), which the systemd unit lists
in RestartPreventExitStatus: restarting cannot fix a setting, a locked or newer database.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import os
import socket
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from server_stub.operations import admin, backup
from server_stub.operations.logs import configure_logging
from server_stub.operations.production_checks import check_production
from server_stub.operations.settings import (
    POSTGRES_SCHEMES,
    RelaySettings,
    SettingsError,
    load_settings,
)
from server_stub.operations.store_access import check_database_place
from server_stub.security.atrest import AtRestError
from server_stub.store.migrations import MigrationError
from server_stub.store.records import Role
from server_stub.store.serve_lock import StoreInUse, exclusive_use
from server_stub.store.sqlite_store import StoreOpenError
from server_stub.version import relay_version

log = logging.getLogger(__name__)
_CLEAN_ERRORS = (
    SettingsError,
    AtRestError,
    StoreOpenError,
    StoreInUse,
    MigrationError,
    admin.AdminError,
    backup.BackupError,
)
EX_CONFIG = 78


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bucket-relay",
        description="Payment Bucket callback relay. Settings come from the environment "
        "(ENCRYPTION_KEY, BASE_URL, DATABASE_URL, RELAY_DATA_DIR, ...).",
    )
    parser.add_argument("--version", action="version", version=f"bucket-relay {relay_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the relay")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    serve.add_argument(
        "--init", action="store_true", help="create the database if there is none (first run)"
    )
    commands.add_parser("init", help="create the database and relay key (production first run)")
    create = commands.add_parser("create-provider", help="add a provider; prints its tokens")
    create.add_argument("--name", required=True)
    issue = commands.add_parser(
        "issue-token", help="issue another token for a provider (or, with --admin, an admin)"
    )
    issue.add_argument("--provider", type=int)
    issue.add_argument("--role", choices=[Role.OWNER.value, Role.ATTENDANT.value])
    issue.add_argument("--admin", metavar="NAME", help="a platform administrator's token")
    make_admin = commands.add_parser(
        "create-admin", help="a platform administrator's token (prints it once)"
    )
    make_admin.add_argument("--name", required=True)
    revoke = commands.add_parser(
        "revoke-token", help="revoke a token at once (write -- before one starting with -)"
    )
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
    make = commands.add_parser("backup", help="online, checked copy of the database")
    make.add_argument("--to", type=Path, required=True, help="folder for the backups")
    make.add_argument("--keep", type=int, default=14, help="newest backups to keep (default 14)")
    put = commands.add_parser("restore", help="replace the database with a backup (relay stopped)")
    put.add_argument("--from", dest="source", type=Path, required=True)
    commands.add_parser(
        "fingerprint", help="print the relay key's fingerprint (owners compare it at first Push)"
    )
    move = commands.add_parser(
        "migrate-store",
        help="copy this SQLite relay into an empty PostgreSQL database (relay stopped)",
    )
    move.add_argument("--to", required=True, metavar="postgresql://...", dest="target")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors are one sentence on stderr and a non-zero exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(os.environ)
        configure_logging(settings.log_level, settings.log_format)
        _say(f"database {settings.database_label}")
        if args.command in ("serve", "init", "set-credentials"):
            check_production(settings, os.environ)
        if args.command == "serve":
            return _serve(settings, args.host, args.port, init=args.init)
        if args.command in ("backup", "restore"):
            _print_json(_backup_command(settings, args))
        elif args.command == "migrate-store":
            _print_json(_migrate_store(settings, args.target))
        else:
            _print_json(asyncio.run(_admin_command(settings, args)))
    except _CLEAN_ERRORS as error:
        _say(str(error))
        return EX_CONFIG if args.command == "serve" else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): nothing left to say, and no traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def _say(sentence: str) -> None:
    print(f"bucket-relay: {sentence}", file=sys.stderr, flush=True)


def _admin_command(settings: RelaySettings, args: argparse.Namespace) -> Coroutine[Any, Any, Any]:
    if args.command == "init":
        return admin.init_store(settings)
    if args.command == "create-provider":
        return admin.create_provider(settings, args.name)
    if args.command == "create-admin":
        return admin.create_admin(settings, args.name)
    if args.command == "issue-token":
        if args.admin is not None:
            if args.provider is not None or args.role is not None:
                raise admin.AdminError("--admin takes no --provider or --role.")
            return admin.create_admin(settings, args.admin)
        if args.provider is None or args.role is None:
            raise admin.AdminError("issue-token needs --provider ID and --role, or --admin NAME.")
        return admin.issue_token(settings, args.provider, Role(args.role))
    if args.command == "revoke-token":
        return admin.revoke_token(settings, args.token, _say)
    if args.command == "set-credentials":
        if sys.stdin.isatty():
            _say("paste the credentials JSON, then press Ctrl-D on an empty line:")
        return admin.set_credentials(settings, args.provider, sys.stdin.buffer.read())
    if args.command == "set-push-limit":
        return admin.set_push_limit(settings, args.provider, args.per_minute)
    if args.command == "fingerprint":
        return admin.relay_fingerprint(settings)
    return admin.rotate_key(settings, _say)


def _backup_command(settings: RelaySettings, args: argparse.Namespace) -> dict[str, Any]:
    if settings.database_dsn is not None:
        raise backup.BackupError(
            f"{args.command} copies a SQLite file; on PostgreSQL use pg_dump and pg_restore "
            "(docs/deploy.md, PostgreSQL)."
        )
    if args.command == "backup":
        if args.keep < 1:
            raise backup.BackupError("--keep must be at least 1.")
        return {"backup": str(backup.backup(settings.database_path, args.to, args.keep))}
    done = backup.restore(args.source, settings.database_path)
    _say(f"restored {args.source} into {done.database}.")
    if done.safety_copy is not None:
        _say(f"the database it replaced is kept as {done.safety_copy} (mode 0600).")
    for old in done.pruned:
        _say(f"removed an older safety copy, {old}.")
    _say("desks will reload every payment from the relay when they next connect.")
    return {
        "restored": str(args.source),
        "database": str(done.database),
        "safety_copy": str(done.safety_copy) if done.safety_copy else None,
        "store_id": done.store_id or None,
    }


def _migrate_store(settings: RelaySettings, target: str) -> dict[str, Any]:
    # The target address may hold a password: it is never printed.
    if settings.database_dsn is not None:
        raise admin.AdminError("migrate-store copies a SQLite relay: DATABASE_URL must be one.")
    if not target.startswith(POSTGRES_SCHEMES):
        raise admin.AdminError("--to must be a postgresql://user:password@host/database address.")
    if importlib.util.find_spec("psycopg_pool") is None:
        raise admin.AdminError("migrate-store needs the relay's postgresql extra (psycopg).")
    check_database_place(settings.database_path, may_create=False)
    from server_stub.store.postgres.copy import CopyError, copy_store

    refusal = "A relay is serving {path} (pid {{pid}}): stop it before copying its database."
    with exclusive_use(settings.database_path, refusal.format(path=settings.database_path)):
        try:
            counts = copy_store(settings.database_path, target)
        except CopyError as error:
            raise admin.AdminError(str(error)) from None
    _say(
        f"copied {sum(counts.values())} rows in {len(counts)} tables, each count checked; "
        "start the relays with DATABASE_URL set to the new database and the same ENCRYPTION_KEY."
    )
    return {"copied": counts}


def _serve(settings: RelaySettings, host: str, port: int, *, init: bool) -> int:
    if settings.database_dsn is not None:
        # PostgreSQL: any number of relays may serve one database.
        return _serve_locked(settings, host, port, init=init)
    check_database_place(settings.database_path, may_create=init or not settings.production)
    refusal = (
        f"Another relay is already serving {settings.database_path} (pid {{pid}}): one SQLite "
        "database takes one relay. Stop the other one, or use the PostgreSQL store to run "
        "several relays."
    )
    with exclusive_use(settings.database_path, refusal):
        return _serve_locked(settings, host, port, init=init)


def _serve_locked(settings: RelaySettings, host: str, port: int, *, init: bool) -> int:
    # Imported here: the web stack takes half a second to import, and admin commands never
    # need it.
    import uvicorn

    from server_stub.app import create_app
    from server_stub.operations.metrics import RelayMetrics
    from server_stub.security.http_guard import guarded_protocol

    facts = asyncio.run(admin.check_startup(settings, create=init))
    log_start(settings, facts)
    sock = _listening_socket(host, port)
    bound_port = int(sock.getsockname()[1])
    settings = settings.with_listen_address(host, bound_port)
    shown_host = f"[{host}]" if ":" in host else host

    def announce() -> None:
        print(f"listening on http://{shown_host}:{bound_port}", flush=True)
        log.info("Relay ready; callbacks go to %s/payments/callback/...", settings.base_url)

    metrics = RelayMetrics()
    if settings.metrics_address is not None:
        metrics_host, metrics_port = settings.metrics_address
        try:
            metrics.serve(metrics_host, metrics_port)
        except OSError as error:
            raise SettingsError(
                f"Cannot serve metrics on {metrics_host}:{metrics_port}: {error.strerror}."
            ) from None
        log.info("Metrics on http://%s:%d/metrics", metrics_host, metrics_port)
    app = create_app(settings, on_ready=announce, metrics=metrics)
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
        # X-Forwarded-For is honoured only from TRUSTED_PROXIES (server_stub.security.rate_limit);
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


def log_start(settings: RelaySettings, facts: dict[str, Any]) -> None:
    """The start-up facts an operator checks first, in one log line."""
    log.info(
        "Relay %s starting: database %s (store %s, schema version %s), relay key %s, %s mode.",
        relay_version(),
        facts["database"],
        facts["store_id"],
        facts["schema_version"],
        facts["relay_key_fingerprint"],
        "production" if settings.production else "development",
    )
    if settings.daraja_base_url is not None:
        log.warning(
            "DARAJA_BASE_URL is set: every Daraja call, with each provider's key and secret, "
            "goes to %s instead of Safaricom.",
            settings.daraja_base_url,
        )


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2), flush=True)
