"""The platform administrator's calls to the relay (`/payments/bucket/admin/...`)."""

from __future__ import annotations

from typing import Any

from bucket_desktop.i18n import _
from bucket_desktop.services.platform.models import (
    AuditEntry,
    IssuedToken,
    NewProvider,
    ProviderHealth,
    ProviderToken,
)
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayUnexpectedResponse

ADMIN = "/payments/bucket/admin"


class PlatformClient:
    """Admin routes over a signed-in RelayClient (its token must be an admin's)."""

    def __init__(self, relay: RelayClient) -> None:
        self._relay = relay

    async def providers(self) -> list[ProviderHealth]:
        """Every provider with its health."""
        data = await self._relay.request_json("GET", f"{ADMIN}/providers/")
        return [ProviderHealth.from_json(item) for item in _items(data)]

    async def create_provider(self, name: str) -> NewProvider:
        """A new provider and its owner and attendant tokens."""
        data = await self._relay.request_json(
            "POST", f"{ADMIN}/providers/", json_body={"name": name}
        )
        return NewProvider(
            provider_id=_int(data, "provider_id"),
            owner_token=_str(data, "owner_token"),
            attendant_token=_str(data, "attendant_token"),
        )

    async def set_disabled(self, provider_id: int, disabled: bool) -> None:
        """Switch a provider's payments off (True) or on again."""
        verb = "disable" if disabled else "enable"
        await self._relay.request_json("POST", f"{ADMIN}/providers/{provider_id}/{verb}/")

    async def tokens(self, provider_id: int) -> list[ProviderToken]:
        """The provider's live tokens."""
        data = await self._relay.request_json("GET", f"{ADMIN}/providers/{provider_id}/tokens/")
        return [ProviderToken.from_json(item) for item in _items(data)]

    async def issue_token(self, provider_id: int, role: str, name: str | None) -> IssuedToken:
        """A new owner or attendant token for the provider."""
        body: dict[str, Any] = {"role": role}
        if name:
            body["name"] = name
        data = await self._relay.request_json(
            "POST", f"{ADMIN}/providers/{provider_id}/tokens/", json_body=body
        )
        return IssuedToken(
            provider_id=provider_id,
            token_id=_int(data, "token_id"),
            role=_str(data, "role"),
            name=_str(data, "name"),
            token=_str(data, "token"),
        )

    async def revoke_token(self, token_id: int) -> None:
        """Revoke one of a provider's tokens at once."""
        await self._relay.request_json("DELETE", f"{ADMIN}/tokens/{token_id}/")

    async def audit(
        self, *, provider_id: int | None = None, action: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Audit entries, newest first."""
        params = {"limit": str(limit)}
        if provider_id is not None:
            params["provider"] = str(provider_id)
        if action:
            params["action"] = action
        data = await self._relay.request_json("GET", f"{ADMIN}/audit/", params=params)
        return [AuditEntry.from_json(item) for item in _items(data)]


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    items = data.get("items")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _int(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RelayUnexpectedResponse(
            _("The relay's answer has no {name}.").format(name=name), code="bad_response"
        )
    return value


def _str(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise RelayUnexpectedResponse(
            _("The relay's answer has no {name}.").format(name=name), code="bad_response"
        )
    return value
