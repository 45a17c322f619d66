"""Bodies and answers of the platform administrator's routes (`/payments/bucket/admin/...`).

Nothing here can carry a Daraja secret, a passkey or a token's value, except the one answer that
creates a token (shown once, like `bucket-relay issue-token`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from server_stub.api.requests import SHORT_TEXT, JsonRequest
from server_stub.api.schemas import iso_time
from server_stub.audit.entries import AuditEntry
from server_stub.platform.health import ProviderHealth

MAX_PROVIDER_NAME = 100
MAX_TOKEN_NAME = 60


class ProviderCreate(JsonRequest):
    """A new provider, by name."""

    name: str = Field(min_length=1, max_length=MAX_PROVIDER_NAME, pattern=SHORT_TEXT)


class TokenCreate(JsonRequest):
    """A new token for a provider; the name defaults to the role's."""

    role: Literal["owner", "attendant"]
    name: str | None = Field(
        default=None, min_length=1, max_length=MAX_TOKEN_NAME, pattern=SHORT_TEXT
    )


class ProviderItem(BaseModel):
    """One provider's health (sales only; totals in whole KES, days in Nairobi time)."""

    id: int
    name: str
    created_at: str
    environment: str | None
    credentials_set: bool
    verified: bool
    last_test_at: str | None
    last_test_status: str | None
    last_callback_at: str | None
    payments_today: int
    paid_today: int
    payments_30d: int
    paid_30d: int
    disputed: int = Field(description="disputed payments of the last 30 days")
    pushes_24h: int
    not_online: int = Field(description="paid, not online: access still issued or failing")
    failing_deliveries: int
    disabled: bool
    disabled_at: str | None
    attention: list[str] = Field(
        description="credentials_not_verified, no_callbacks (pushes in 24 h, no callback), "
        "disputed_payments, failing_deliveries"
    )

    @classmethod
    def of(cls, health: ProviderHealth, now: float) -> ProviderItem:
        """The item for one provider's health."""
        return cls(
            id=health.id,
            name=health.name,
            created_at=iso_time(health.created_at),
            environment=health.environment,
            credentials_set=health.credentials_set,
            verified=health.verified,
            last_test_at=iso_time(health.last_test_at) or None,
            last_test_status=health.last_test_status,
            last_callback_at=iso_time(health.last_callback_at) or None,
            payments_today=health.payments_today,
            paid_today=health.paid_today,
            payments_30d=health.payments_30d,
            paid_30d=health.paid_30d,
            disputed=health.disputed,
            pushes_24h=health.pushes_24h,
            not_online=health.not_online,
            failing_deliveries=health.failing_deliveries,
            disabled=health.disabled_at is not None,
            disabled_at=iso_time(health.disabled_at) or None,
            attention=[reason.value for reason in health.attention(now)],
        )


class ProvidersPage(BaseModel):
    """Every provider's health."""

    success: bool = True
    generated_at: str
    items: list[ProviderItem]


class ProviderCreated(BaseModel):
    """A new provider and its two tokens (shown this once), as `create-provider` prints."""

    success: bool = True
    provider_id: int
    owner_token: str
    attendant_token: str
    relay_key_fingerprint: str


class ProviderState(BaseModel):
    """Whether a provider may take payments now."""

    success: bool = True
    provider_id: int
    disabled: bool
    disabled_at: str | None
    changed: bool


class TokenItem(BaseModel):
    """One of a provider's live tokens; never its value."""

    token_id: int
    name: str
    role: str
    created_at: str
    last_used_at: str | None
    last_address: str | None


class TokensPage(BaseModel):
    """A provider's live tokens."""

    success: bool = True
    provider_id: int
    items: list[TokenItem]


class TokenIssued(BaseModel):
    """A new token: its value is in this answer and never again."""

    success: bool = True
    provider_id: int
    token_id: int
    token: str
    role: str
    name: str


class TokenRevoked(BaseModel):
    """A token revoked."""

    success: bool = True
    token_id: int
    provider_id: int
    revoked: bool


class AuditItem(BaseModel):
    """One audit entry: who (token id, name and role, or "cli"), when, from where, what."""

    id: int
    at: str
    actor: str
    token_id: int | None
    role: str
    address: str
    provider_id: int | None
    action: str
    detail: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditItem:
        """The item for one stored entry."""
        return cls(
            id=entry.id,
            at=iso_time(entry.at),
            actor=entry.actor.name,
            token_id=entry.actor.token_id,
            role=entry.actor.role,
            address=entry.actor.address,
            provider_id=entry.provider_id,
            action=entry.action,
            detail=entry.detail,
        )


class AuditPage(BaseModel):
    """Audit entries, newest first."""

    success: bool = True
    items: list[AuditItem]
