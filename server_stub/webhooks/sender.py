"""One signed POST to a receiver: checked again after DNS, pinned to that address, 10 s at most.

The request goes to the address just checked (with the name kept for Host and TLS), so a name
that resolves elsewhere between the check and the connection cannot steer the relay into its
own network. Redirects are never followed: a 3xx is a failure like any other non-2xx.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from server_stub.version import relay_version
from server_stub.webhooks.addresses import AddressRefused, Resolver, parse_url, resolve_allowed
from server_stub.webhooks.records import AttemptResult
from server_stub.webhooks.schedule import TIMEOUT_S
from server_stub.webhooks.signing import SigningSecret, signed_headers

BODY_KEPT = 1024


def make_client() -> httpx.AsyncClient:
    """The webhook client: its own connection pool, so slow receivers never hold up Daraja."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,  # a proxy from the environment would bypass the address check
        timeout=httpx.Timeout(TIMEOUT_S),
        # No connection is kept for reuse: requests go to pinned addresses, and a pooled TLS
        # connection checked for one name must never carry a delivery for another name that
        # happens to share its address.
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=0),
    )


async def send(
    client: httpx.AsyncClient,
    url: str,
    event_id: str,
    body: bytes,
    secrets: Sequence[SigningSecret],
    *,
    production: bool,
    resolve: Resolver,
) -> AttemptResult:
    """POST the event once; the outcome as an AttemptResult (never raises for the network)."""
    started = time.perf_counter()

    def took() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        async with asyncio.timeout(TIMEOUT_S):
            _, host, port = parse_url(url, production=production)
            addresses = await resolve_allowed(host, port, production=production, resolve=resolve)
            request = _pinned_request(client, url, addresses[0], event_id, body, secrets)
            response = await client.send(request, stream=True)
            try:
                kept = await _first_bytes(response)
            finally:
                await response.aclose()
    except AddressRefused as refusal:
        return AttemptResult(None, took(), f"Not sent: {refusal.message}")
    except TimeoutError:
        return AttemptResult(None, took(), f"No answer within {TIMEOUT_S:g} seconds.")
    except httpx.HTTPError as error:
        reason = f"Could not reach the receiver ({type(error).__name__})."
        return AttemptResult(None, took(), reason)
    return AttemptResult(response.status_code, took(), None, kept)


def _pinned_request(
    client: httpx.AsyncClient,
    url: str,
    address: str,
    event_id: str,
    body: bytes,
    secrets: Sequence[SigningSecret],
) -> httpx.Request:
    original = httpx.URL(url)
    pinned = original.copy_with(host=address)
    headers = {
        **signed_headers(secrets, event_id, datetime.now(UTC), body),
        "content-type": "application/json",
        "user-agent": f"payment-bucket-relay/{relay_version()}",
        "host": _host_header(url),
    }
    extensions = {}
    if original.scheme == "https" and not _is_literal(original.host):
        extensions["sni_hostname"] = original.host  # the certificate is checked for the name
    return client.build_request(
        "POST", pinned, content=body, headers=headers, extensions=extensions
    )


async def _first_bytes(response: httpx.Response) -> str:
    kept = b""
    async for chunk in response.aiter_raw():
        kept += chunk
        if len(kept) >= BODY_KEPT:
            break
    return kept[:BODY_KEPT].decode("utf-8", errors="replace")


def _host_header(url: str) -> str:
    return urlsplit(url.strip()).netloc.rpartition("@")[2]


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
