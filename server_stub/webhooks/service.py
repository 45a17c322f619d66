"""The owner's webhook endpoints: checks, secrets sealed at rest, and the dispatcher's wake-up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from server_stub.audit.entries import Audit
from server_stub.errors import RelayError
from server_stub.security.atrest import SecretBox
from server_stub.webhooks.addresses import AddressRefused, Resolver, check_url
from server_stub.webhooks.records import EndpointRecord, LogEntry
from server_stub.webhooks.signing import SigningSecret, new_secret
from server_stub.webhooks.sqlite_endpoints import TooManyEndpoints
from server_stub.webhooks.store import SqliteWebhooks

ROTATION_OVERLAP_S = 24 * 3600.0
TEST_MESSAGE = "A test event from your Payment Bucket relay: your receiver is reachable."


class WebhookService:
    """What the webhook routes do, in the relay's terms (RelayError for every refusal)."""

    def __init__(
        self,
        store: SqliteWebhooks,
        box: SecretBox,
        *,
        production: bool,
        resolve: Resolver,
        wake: Callable[[], None],
    ) -> None:
        self._store = store
        self._box = box
        self._production = production
        self._resolve = resolve
        self._wake = wake

    def __repr__(self) -> str:
        return f"WebhookService(production={self._production})"

    async def endpoints(self, provider_id: int) -> list[EndpointRecord]:
        """The provider's endpoints."""
        return await self._store.endpoints(provider_id)

    async def add(
        self,
        provider_id: int,
        url: str,
        events: Sequence[str],
        description: str,
        *,
        audit: Audit[EndpointRecord] | None = None,
    ) -> tuple[EndpointRecord, SigningSecret]:
        """A new endpoint and its secret (the only time the secret is shown)."""
        checked = await self._checked_url(url)
        secret = new_secret()
        try:
            made = await self._store.add(
                provider_id,
                checked,
                _unique(events),
                description.strip(),
                self._seal(secret),
                audit=audit,
            )
        except TooManyEndpoints as error:
            raise RelayError(str(error), code="too_many_endpoints", status=409) from None
        return made, secret

    async def change(
        self,
        provider_id: int,
        endpoint_id: int,
        changes: dict[str, Any],
        *,
        audit: Audit[EndpointRecord] | None = None,
    ) -> EndpointRecord:
        """Change an endpoint's address, events, description or switch it on or off."""
        if "url" in changes:
            changes["url"] = await self._checked_url(changes["url"])
        if "events" in changes:
            changes["events"] = _unique(changes["events"])
        if "description" in changes:
            changes["description"] = changes["description"].strip()
        changed = await self._store.change(provider_id, endpoint_id, changes, audit=audit)
        if changed is None:
            raise no_such_endpoint()
        if changed.enabled:
            self._wake()  # deliveries held while it was off may go now
        return changed

    async def delete(
        self, provider_id: int, endpoint_id: int, *, audit: Audit[bool] | None = None
    ) -> None:
        """Delete an endpoint, its pending deliveries and its log."""
        if not await self._store.delete(provider_id, endpoint_id, audit=audit):
            raise no_such_endpoint()

    async def rotate(
        self, provider_id: int, endpoint_id: int, *, audit: Audit[bool] | None = None
    ) -> tuple[SigningSecret, float]:
        """A new secret; the old one keeps signing for 24 hours. Returns (secret, overlap)."""
        secret = new_secret()
        if not await self._store.rotate(
            provider_id, endpoint_id, self._seal(secret), ROTATION_OVERLAP_S, audit=audit
        ):
            raise no_such_endpoint()
        return secret, ROTATION_OVERLAP_S

    async def send_test(self, provider_id: int, endpoint_id: int) -> str:
        """Queue a `webhook.test` event for the endpoint; returns the event id."""
        endpoint = await self._store.endpoint(provider_id, endpoint_id)
        if endpoint is None:
            raise no_such_endpoint()
        if not endpoint.enabled:
            raise _disabled()
        data = {"endpoint_id": endpoint_id, "message": TEST_MESSAGE}
        event_id = await self._store.send_test(provider_id, endpoint_id, data)
        self._wake()
        return event_id

    async def log(self, provider_id: int, endpoint_id: int, limit: int) -> list[LogEntry]:
        """The endpoint's delivery log, newest first."""
        if await self._store.endpoint(provider_id, endpoint_id) is None:
            raise no_such_endpoint()
        return await self._store.log(provider_id, endpoint_id, limit)

    async def redeliver(self, provider_id: int, delivery_id: int) -> None:
        """Send a delivery again now, with the same event id."""
        outcome = await self._store.redeliver(provider_id, delivery_id)
        if outcome == "missing":
            raise RelayError("No such delivery.", code="not_found", status=404)
        if outcome == "in_flight":
            raise RelayError(
                "This delivery is being sent right now: look at the log again in a moment.",
                code="in_flight",
                status=409,
            )
        if outcome == "disabled":
            raise _disabled()
        self._wake()

    async def _checked_url(self, url: str) -> str:
        try:
            target = await check_url(url, production=self._production, resolve=self._resolve)
        except AddressRefused as refusal:
            raise RelayError(refusal.message, code="invalid_url", field=refusal.field) from None
        return target.url

    def _seal(self, secret: SigningSecret) -> bytes:
        return self._box.encrypt(secret.value.encode())


def no_such_endpoint() -> RelayError:
    """The 404 for an endpoint that is not the caller's."""
    return RelayError(
        "No such webhook endpoint: it may have been deleted.", code="not_found", status=404
    )


def _disabled() -> RelayError:
    return RelayError(
        "This endpoint is disabled: enable it first.", code="endpoint_disabled", status=409
    )


def _unique(events: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(events))
