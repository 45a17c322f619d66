"""An in-process relay for webhook tests: a clock the test moves and a table instead of DNS."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from server_stub.app import create_app
from server_stub.store.sqlite_store import SqliteStore
from server_stub.webhooks.dispatcher import WebhookDispatcher
from tests.server_stub.inprocess import new_provider, relay_settings

# Names the tests use, and what they "resolve" to: no DNS query ever leaves the machine.
FAKE_DNS = {
    "localhost": ["127.0.0.1"],
    "portal.example": ["93.184.216.34"],
    "intranet.example": ["10.1.2.3"],
    "sneaky.example": ["93.184.216.34", "192.168.1.10"],
    "metadata.example": ["169.254.169.254"],
}
ALL_EVENTS = [
    "payment.paid",
    "payment.confirmed",
    "payment.failed",
    "payment.disputed",
    "access.issued",
    "access.delivered",
]


async def fake_resolve(host: str, port: int) -> list[str]:
    """Addresses from FAKE_DNS; OSError for any other name."""
    if host not in FAKE_DNS:
        raise OSError(f"unknown name {host}")
    return FAKE_DNS[host]


class Clock:
    """A wall clock the test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class WebhookRelay:
    """A running in-process relay with an owner and an attendant client."""

    client: httpx.AsyncClient = field(repr=False)
    store: SqliteStore
    dispatcher: WebhookDispatcher
    provider_id: int
    owner: dict[str, str] = field(repr=False)
    attendant: dict[str, str] = field(repr=False)
    clock: Clock

    async def add_endpoint(self, url: str, events: list[str] | None = None) -> dict[str, Any]:
        """POST an endpoint as the owner; its JSON answer (with the secret)."""
        response = await self.client.post(
            "/payments/bucket/webhooks/",
            json={"url": url, "events": events or ALL_EVENTS},
            headers=self.owner,
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def log(self, endpoint_id: int) -> list[dict[str, Any]]:
        """The endpoint's delivery log."""
        response = await self.client.get(
            f"/payments/bucket/webhooks/{endpoint_id}/deliveries/", headers=self.owner
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@asynccontextmanager
async def webhook_relay(tmp_path: Path, **overrides: Any) -> AsyncIterator[WebhookRelay]:
    """The relay app with its lifespan (dispatcher included) and a provider."""
    clock = Clock()
    settings = relay_settings(tmp_path, **overrides)
    # Made as in development: a production relay expects `bucket-relay init` to have run.
    made = await new_provider(replace(settings, production=False))
    app = create_app(settings, clock=clock, resolve=fake_resolve)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40_000))
        async with httpx.AsyncClient(transport=transport, base_url="http://relay.test") as client:
            services = app.state.relay
            yield WebhookRelay(
                client=client,
                store=services.store,
                dispatcher=services.webhook_dispatcher,
                provider_id=made["provider_id"],
                owner={"Authorization": f"Token {made['owner_token']}"},
                attendant={"Authorization": f"Token {made['attendant_token']}"},
                clock=clock,
            )


async def eventually(check: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    """Await until `check()` (sync, or a coroutine function) gives a truthy value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("the condition never came true")
        await asyncio.sleep(0.02)
