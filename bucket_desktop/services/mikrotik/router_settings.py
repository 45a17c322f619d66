"""The router's API address and login, encrypted with the desk's vault key (never plain)."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from bucket_desktop.i18n import _
from bucket_desktop.services.atomic_file import write_atomic

API_PORT = 8728
API_SSL_PORT = 8729


class RouterSettingsError(ValueError):
    """A router setting that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class RouterSettings:
    """How the desk reaches the router's API."""

    host: str
    username: str
    password: str = field(repr=False)
    use_tls: bool = False
    port: int = API_PORT

    @classmethod
    def checked(
        cls, address: str, username: str, password: str, *, use_tls: bool = False
    ) -> RouterSettings:
        """Settings from the form; RouterSettingsError names the first bad field."""
        host, port = _host_and_port(address.strip(), API_SSL_PORT if use_tls else API_PORT)
        if not username.strip():
            raise RouterSettingsError(_("Enter the router's API user name."))
        if not password:
            raise RouterSettingsError(_("Enter the password of the router's API user."))
        if not (username.isascii() and password.isascii()):
            raise RouterSettingsError(_("RouterOS API logins take plain (ASCII) letters only."))
        return cls(host, username.strip(), password, use_tls, port)

    @property
    def address(self) -> str:
        """host:port as the owner typed it back."""
        default = API_SSL_PORT if self.use_tls else API_PORT
        return self.host if self.port == default else f"{self.host}:{self.port}"

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "host": self.host,
                "port": self.port,
                "username": self.username,
                "password": self.password,
                "use_tls": self.use_tls,
            }
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> RouterSettings:
        raw = json.loads(data)
        return cls(
            str(raw["host"]),
            str(raw["username"]),
            str(raw["password"]),
            bool(raw["use_tls"]),
            int(raw["port"]),
        )


def _host_and_port(address: str, default_port: int) -> tuple[str, int]:
    if not address:
        raise RouterSettingsError(_("Enter the router's address, e.g. 192.168.88.1."))
    host, port = address, default_port
    if address.count(":") == 1:  # host:port (a bare IPv6 address has several colons)
        host, _colon, raw_port = address.partition(":")
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise RouterSettingsError(
                _("{raw_port!r} is not a port number.").format(raw_port=raw_port)
            )
        port = int(raw_port)
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not host or any(c.isspace() for c in host) or "/" in host:
            raise RouterSettingsError(
                _("{address!r} is not a router address.").format(address=address)
            ) from None
    return host, port


class RouterSettingsFile:
    """One encrypted file in the app's data folder holding the router settings."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, key: str) -> RouterSettings | None:
        """The saved settings, or None (nothing saved, or saved under another key)."""
        try:
            token = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return RouterSettings.from_json(Fernet(key.encode()).decrypt(token))
        except (InvalidToken, ValueError, KeyError):
            return None

    def save(self, key: str, settings: RouterSettings) -> None:
        """Encrypt and write atomically (0600)."""
        write_atomic(self.path, Fernet(key.encode()).encrypt(settings.to_json()))
