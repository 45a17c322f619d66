"""Which webhook URLs the relay will call: HTTPS to public addresses (SSRF guard).

A receiver's address is checked when the owner saves it and again, after DNS, before every
send (DESIGN.md section 13): a name that resolved to a public address yesterday may resolve to
the relay's own network today. Private, link-local, shared (CGNAT) and other non-global
addresses are refused in every mode; loopback is allowed only outside production, and plain
`http://` only to loopback (a receiver on the relay's own machine, for development and tests).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL = 2048
FIELD = "url"
# The published shape (the webhook routes' schema): https:// and a host name, an optional port
# (1-65535) and path, no user name and no #fragment, plain ASCII. The relay holds every address to
# it, so nothing the schema refuses is accepted; `http` is for loopback only, and an IP address in
# place of the name is judged by the address checks below.
_PORT = (
    r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
)
_PATH = r"(/[!-\"$-~]*)?"
URL_PATTERN = rf"^https://[A-Za-z][A-Za-z0-9.-]*{_PORT}{_PATH}$"
_NAMED = re.compile(rf"https?://[A-Za-z][A-Za-z0-9.-]*{_PORT}{_PATH}", re.IGNORECASE)
_LITERAL = re.compile(rf"https?://[^/?#]+{_PORT}{_PATH}", re.IGNORECASE)

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Given a host name and port, its addresses (as strings); raises OSError when it has none.
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(ValueError):
    """A URL the relay will not call; the message is a sentence for the owner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = FIELD


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the addresses it may be called at."""

    url: str
    host: str
    port: int
    addresses: tuple[str, ...]


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver (in a thread: getaddrinfo blocks)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return sorted({str(info[4][0]) for info in infos})


def parse_url(raw: str, *, production: bool) -> tuple[SplitResult, str, int]:
    """The URL's parts, host and port, or AddressRefused saying what is wrong with it."""
    # Not stripped: the published pattern refuses surrounding spaces, so the relay does too
    # (the desk strips what the owner typed before sending it).
    url = raw
    if not url.strip():
        raise AddressRefused(
            "Enter the address of your receiver, e.g. https://portal.example/hook."
        )
    if len(url) > MAX_URL:
        raise AddressRefused(f"The address is longer than {MAX_URL} characters.")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        raise AddressRefused("The address must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise AddressRefused("This is not a web address (URL).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host or not parts.netloc:
        raise AddressRefused("The address must start with https:// and name a host.")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("The address must not carry a user name or password.")
    if parts.fragment:
        raise AddressRefused("The address must not have a #fragment.")
    if scheme == "http" and (production or not _loopback_name(host)):
        raise AddressRefused(
            "The address must start with https:// (plain http:// is only allowed to this "
            "machine's own loopback address, outside production)."
        )
    if not (_LITERAL if _literal(host) else _NAMED).fullmatch(url):
        raise AddressRefused(
            "The address may use only letters, digits, dots and dashes in its host name, and "
            "plain characters (no accents or spaces) in its path."
        )
    return parts, host.lower(), port or (443 if scheme == "https" else 80)


async def check_url(raw: str, *, production: bool, resolve: Resolver) -> Target:
    """The URL checked and resolved; AddressRefused (naming the field `url`) otherwise."""
    parts, host, port = parse_url(raw, production=production)
    addresses = await resolve_allowed(host, port, production=production, resolve=resolve)
    if parts.scheme.lower() == "http" and not all(_is_loopback(a) for a in addresses):
        raise AddressRefused("Plain http:// is only allowed to this machine's loopback address.")
    return Target(raw, host, port, tuple(addresses))


async def resolve_allowed(
    host: str, port: int, *, production: bool, resolve: Resolver
) -> list[str]:
    """The host's addresses, every one of them allowed; AddressRefused otherwise."""
    literal = _literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = await resolve(host, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise AddressRefused(f"The name {host} could not be found (DNS): check the spelling.")
    for address in addresses:
        refusal = address_refusal(address, production=production)
        if refusal is not None:
            shown = host if literal is not None else f"{host} ({address})"
            raise AddressRefused(f"{shown} is {refusal}: the relay only calls public addresses.")
    return addresses


def address_refusal(address: str, *, production: bool) -> str | None:
    """Why the relay must not call this address, or None when it may."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "this machine's loopback address" if production else None
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "not an address of a single machine"
    if not ip.is_global:
        return "a private network address"
    return None


def _literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _loopback_name(host: str) -> bool:
    literal = _literal(host)
    return literal.is_loopback if literal is not None else host.lower() == "localhost"


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_loopback
