"""The relay's settings, read from the environment by the composition root (DESIGN.md section 6)."""

from __future__ import annotations

import importlib.util
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from bucket_desktop.services.credentials import Environment

DEFAULT_BASE_URL = "http://localhost:8000"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_CALLBACK_CAP = 64 * 1024
DEFAULT_JSON_CAP = 64 * 1024
DEFAULT_PUSHES_PER_MINUTE = 30
MAX_COUNT = 1_000_000

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(ValueError):
    """A setting the relay cannot start with; the message says which and how to fix it."""


@dataclass(frozen=True, slots=True)
class RelaySettings:
    """Everything the relay needs to run; built once and handed to `create_app`."""

    database_path: Path
    production: bool = False
    encryption_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    base_url_explicit: bool = False
    default_environment: Environment = Environment.SANDBOX
    daraja_base_url: str | None = None
    callback_allowed_ips: tuple[IpNetwork, ...] = ()
    trusted_proxies: tuple[IpNetwork, ...] = ()
    reconcile_first_s: float = 20.0
    reconcile_until_s: float = 180.0
    # The STK query confirming a paid callback goes out this long after it (DESIGN.md 13).
    confirm_first_s: float = 2.0
    callback_max_bytes: int = DEFAULT_CALLBACK_CAP
    json_max_bytes: int = DEFAULT_JSON_CAP
    log_level: str = "INFO"
    log_format: str = "text"
    metrics_address: tuple[str, int] | None = None
    access_log: bool = True
    # Abuse limits (issue 11): each bounds what one client can hold or store.
    pushes_per_minute: int = DEFAULT_PUSHES_PER_MINUTE
    unknown_callbacks_per_minute: int = 20
    feed_waits_per_token: int = 4
    header_timeout_s: float = 10.0
    body_timeout_s: float = 10.0
    max_connections: int = 1000
    max_connections_per_address: int = 64
    # FreeRADIUS's SQL database the relay writes access rows into: a SQLite file, or a
    # PostgreSQL address (it may hold a password); neither set: no RADIUS delivery.
    radius_database_path: Path | None = None
    radius_database_dsn: str | None = field(default=None, repr=False)
    # DATABASE_URL=postgresql://...: the relay's own store on PostgreSQL (it may hold a
    # password); database_path then only places the development key file.
    database_dsn: str | None = field(default=None, repr=False)
    # With several instances on PostgreSQL, a long-poll reads the feed again this often even
    # without a notification (one may be lost when the listener reconnects).
    feed_recheck_s: float = 2.0

    @property
    def database_label(self) -> str:
        """The database in use, fit for logs and messages (a PostgreSQL address is hidden)."""
        if self.database_dsn is not None:
            return "PostgreSQL (DATABASE_URL)"
        return str(self.database_path)

    @property
    def radius_configured(self) -> bool:
        """Whether the relay has a RADIUS database to write into."""
        return self.radius_database_path is not None or self.radius_database_dsn is not None

    @property
    def data_dir(self) -> Path:
        """The folder holding the database and, in development, the generated key file."""
        return self.database_path.parent

    def with_listen_address(self, host: str, port: int) -> RelaySettings:
        """Settings whose default BASE_URL is the address actually bound (for `--port 0`)."""
        if self.base_url_explicit:
            return self
        wildcard = ("0.0.0.0", "::", "")  # noqa: S104 - compared with, not bound to
        shown = "localhost" if host in wildcard else f"[{host}]" if ":" in host else host
        return replace(self, base_url=f"http://{shown}:{port}")


def load_settings(environ: Mapping[str, str]) -> RelaySettings:
    """Read and check the relay's environment variables; SettingsError names the bad one."""
    mpesa_env = _environment(environ.get("MPESA_ENVIRONMENT", "sandbox"))
    relay_env = environ.get("RELAY_ENV", "development").strip().lower()
    if relay_env not in ("development", "production"):
        raise SettingsError("RELAY_ENV must be development or production.")
    base_url = environ.get("BASE_URL", "").strip()
    first = _seconds(environ, "RELAY_RECONCILE_FIRST_S", 20.0)
    until = _seconds(environ, "RELAY_RECONCILE_UNTIL_S", 180.0)
    if until < first:
        raise SettingsError(
            "RELAY_RECONCILE_UNTIL_S must not be less than RELAY_RECONCILE_FIRST_S."
        )
    return RelaySettings(
        database_path=_database_path(environ),
        database_dsn=_database_dsn(environ),
        feed_recheck_s=_seconds(environ, "RELAY_FEED_RECHECK_S", 2.0),
        # One rule: production mode when either the relay or its Daraja default says so.
        production=relay_env == "production" or mpesa_env is Environment.PRODUCTION,
        encryption_key=environ.get("ENCRYPTION_KEY", "").strip() or None,
        base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
        base_url_explicit=bool(base_url),
        default_environment=mpesa_env,
        daraja_base_url=environ.get("DARAJA_BASE_URL", "").strip() or None,
        callback_allowed_ips=_networks(environ, "CALLBACK_ALLOWED_IPS"),
        trusted_proxies=_networks(environ, "TRUSTED_PROXIES"),
        reconcile_first_s=first,
        reconcile_until_s=until,
        confirm_first_s=_seconds(environ, "RELAY_CONFIRM_FIRST_S", 2.0),
        log_level=_log_level(environ.get("RELAY_LOG_LEVEL", "INFO")),
        log_format=_log_format(environ.get("RELAY_LOG_FORMAT", "text")),
        metrics_address=_metrics_address(environ.get("RELAY_METRICS_ADDRESS", "")),
        access_log=environ.get("RELAY_ACCESS_LOG", "1").strip().lower() not in ("0", "false", "no"),
        pushes_per_minute=_count(environ, "RELAY_PUSHES_PER_MINUTE", DEFAULT_PUSHES_PER_MINUTE),
        unknown_callbacks_per_minute=_count(environ, "RELAY_UNKNOWN_CALLBACKS_PER_MINUTE", 20),
        feed_waits_per_token=_count(environ, "RELAY_FEED_WAITS_PER_TOKEN", 4),
        header_timeout_s=_seconds(environ, "RELAY_HEADER_TIMEOUT_S", 10.0),
        body_timeout_s=_seconds(environ, "RELAY_BODY_TIMEOUT_S", 10.0),
        max_connections=_count(environ, "RELAY_MAX_CONNECTIONS", 1000),
        max_connections_per_address=_count(environ, "RELAY_MAX_CONNECTIONS_PER_ADDRESS", 64),
        radius_database_path=_radius_database_path(environ),
        radius_database_dsn=_radius_database_dsn(environ),
    )


def _database_path(environ: Mapping[str, str]) -> Path:
    url = environ.get("DATABASE_URL", "").strip()
    if url and not url.startswith(POSTGRES_SCHEMES):
        return _sqlite_path(url, "DATABASE_URL", "relay.db")
    data_dir = environ.get("RELAY_DATA_DIR", "").strip()
    folder = Path(data_dir) if data_dir else Path(platformdirs.user_data_dir("bucket-relay"))
    return (folder / "relay.db").resolve()


def _sqlite_path(url: str, name: str, example: str) -> Path:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise SettingsError(
            f"{name} must look like sqlite:///absolute/path/{example} or postgresql://user:password@host/db."
        )
    rest = url[len(prefix) :]
    # sqlite:////abs/path on POSIX; sqlite:///C:/path on Windows.
    windows_drive = len(rest) > 2 and rest[1] == ":" and rest[0].isalpha()
    return Path(rest if windows_drive else "/" + rest.lstrip("/")).resolve()


def _database_dsn(environ: Mapping[str, str]) -> str | None:
    url = environ.get("DATABASE_URL", "").strip()
    if not url.startswith(POSTGRES_SCHEMES):
        return None
    for module in ("psycopg", "psycopg_pool"):
        if importlib.util.find_spec(module) is None:
            raise SettingsError(
                "DATABASE_URL is a PostgreSQL address, but psycopg is not installed: install "
                "the relay with its postgresql extra (docs/deploy.md)."
            )
    return url


def _radius_database_path(environ: Mapping[str, str]) -> Path | None:
    url = environ.get("RADIUS_DATABASE_URL", "").strip()
    if not url or url.startswith(POSTGRES_SCHEMES):
        return None
    if not url.startswith("sqlite:"):
        raise SettingsError(
            "RADIUS_DATABASE_URL must look like sqlite:///absolute/path/radius.db or "
            "postgresql://user:password@host/radius."
        )
    return _sqlite_path(url, "RADIUS_DATABASE_URL", "radius.db")


def _radius_database_dsn(environ: Mapping[str, str]) -> str | None:
    url = environ.get("RADIUS_DATABASE_URL", "").strip()
    if not url.startswith(POSTGRES_SCHEMES):
        return None
    if importlib.util.find_spec("psycopg") is None:
        raise SettingsError(
            "RADIUS_DATABASE_URL is a PostgreSQL address, but psycopg is not installed: "
            "install the relay with its radius-postgresql extra (docs/deploy.md)."
        )
    return url


def _environment(raw: str) -> Environment:
    try:
        return Environment(raw.strip().lower())
    except ValueError:
        raise SettingsError("MPESA_ENVIRONMENT must be sandbox or production.") from None


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds.") from None
    if not 0 < value <= 86_400:
        raise SettingsError(f"{name} must be between 0 and 86400 seconds.")
    return value


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_COUNT:
        raise SettingsError(f"{name} must be a whole number from 1 to {MAX_COUNT}.")
    return int(raw)


def _networks(environ: Mapping[str, str], name: str) -> tuple[IpNetwork, ...]:
    networks: list[IpNetwork] = []
    for part in environ.get(name, "").split(","):
        if not part.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise SettingsError(
                f"{name} must be a comma-separated list of IP addresses or networks."
            ) from None
    return tuple(networks)


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("RELAY_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR.")
    return level


def _log_format(raw: str) -> str:
    shape = raw.strip().lower()
    if shape not in ("text", "json"):
        raise SettingsError("RELAY_LOG_FORMAT must be text or json.")
    return shape


def _metrics_address(raw: str) -> tuple[str, int] | None:
    text = raw.strip()
    if not text:
        return None
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    try:
        number = int(port)
        ipaddress.ip_address(host)
    except ValueError:
        number = -1
    if not 0 < number < 65536:
        raise SettingsError(
            "RELAY_METRICS_ADDRESS must be an IP address and port, e.g. 127.0.0.1:9464."
        )
    return host, number
