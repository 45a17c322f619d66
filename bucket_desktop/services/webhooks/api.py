"""The relay's webhook routes (owner only), through the signed-in RelayClient."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bucket_desktop.i18n import _
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayUnexpectedResponse
from bucket_desktop.services.webhooks.models import DeliveryEntry, NewSecret, WebhookEndpoint

BASE = "/payments/bucket/webhooks/"
LOG_LIMIT = 100


class WebhookApi:
    """Add, change, delete, rotate, test, and read the delivery log."""

    def __init__(self, client: RelayClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"WebhookApi({self._client!r})"

    async def endpoints(self) -> list[WebhookEndpoint]:
        """The provider's endpoints, oldest first."""
        data = await self._client.request_json("GET", BASE)
        items = data.get("items")
        return [WebhookEndpoint.from_json(i) for i in (items or []) if isinstance(i, dict)]

    async def add(self, url: str, events: Sequence[str], description: str = "") -> NewSecret:
        """A new endpoint and its secret (shown once)."""
        body = {"url": url, "events": list(events), "description": description}
        data = await self._client.request_json("POST", BASE, json_body=body)
        return NewSecret(WebhookEndpoint.from_json(data), _secret(data))

    async def change(self, endpoint_id: int, **changes: Any) -> WebhookEndpoint:
        """Change url, events, description or enabled."""
        data = await self._client.request_json("PUT", f"{BASE}{endpoint_id}/", json_body=changes)
        return WebhookEndpoint.from_json(data)

    async def delete(self, endpoint_id: int) -> None:
        """Delete an endpoint with its log."""
        await self._client.request_json("DELETE", f"{BASE}{endpoint_id}/")

    async def rotate(self, endpoint: WebhookEndpoint) -> NewSecret:
        """A new secret; the old one keeps signing for 24 hours."""
        data = await self._client.request_json("POST", f"{BASE}{endpoint.id}/rotate-secret/")
        until = data.get("old_secret_valid_until")
        return NewSecret(endpoint, _secret(data), until if isinstance(until, str) else None)

    async def send_test(self, endpoint_id: int) -> str:
        """Queue a signed test event; returns its event id."""
        data = await self._client.request_json("POST", f"{BASE}{endpoint_id}/test/")
        event_id = data.get("event_id")
        return event_id if isinstance(event_id, str) else ""

    async def log(self, endpoint_id: int) -> list[DeliveryEntry]:
        """The endpoint's delivery log, newest first."""
        data = await self._client.request_json(
            "GET", f"{BASE}{endpoint_id}/deliveries/", params={"limit": str(LOG_LIMIT)}
        )
        items = data.get("items")
        return [DeliveryEntry.from_json(i) for i in (items or []) if isinstance(i, dict)]

    async def redeliver(self, delivery_id: int) -> None:
        """Send a delivery again now, with the same webhook-id."""
        await self._client.request_json("POST", f"{BASE}deliveries/{delivery_id}/redeliver/")


def _secret(data: dict[str, Any]) -> str:
    secret = data.get("secret")
    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        raise RelayUnexpectedResponse(
            _("The relay's answer has no webhook secret."), code="bad_response"
        )
    return secret
