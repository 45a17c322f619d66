"""Values of the relay's admin routes (DESIGN.md section 12), parsed leniently like the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.relay_errors import RelayUnexpectedResponse

# What each reason of the relay's `attention` list means, for a person.
ATTENTION_TEXTS = {
    "credentials_not_verified": N_("M-PESA credentials not verified"),
    "no_callbacks": N_("prompts sent but no callback for 24 hours"),
    "disputed_payments": N_("disputed payments"),
    "failing_deliveries": N_("customers paid but not online (deliveries failing)"),
}


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """One provider as the health list shows it."""

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
    disputed: int
    not_online: int
    disabled: bool
    attention: tuple[str, ...] = ()

    @property
    def needs_attention(self) -> bool:
        """Some reason to look at this provider."""
        return bool(self.attention)

    def attention_text(self) -> str:
        """The reasons in words, or '' when all is well."""
        return "; ".join(_(ATTENTION_TEXTS.get(reason, reason)) for reason in self.attention)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProviderHealth:
        """Read one item of `GET /admin/providers/`."""
        attention = data.get("attention")
        return cls(
            id=_number(data, "id"),
            name=_text(data, "name") or "",
            created_at=_text(data, "created_at") or "",
            environment=_text(data, "environment"),
            credentials_set=data.get("credentials_set") is True,
            verified=data.get("verified") is True,
            last_test_at=_text(data, "last_test_at"),
            last_test_status=_text(data, "last_test_status"),
            last_callback_at=_text(data, "last_callback_at"),
            payments_today=_count(data, "payments_today"),
            paid_today=_count(data, "paid_today"),
            payments_30d=_count(data, "payments_30d"),
            paid_30d=_count(data, "paid_30d"),
            disputed=_count(data, "disputed"),
            not_online=_count(data, "not_online"),
            disabled=data.get("disabled") is True,
            attention=tuple(a for a in attention if isinstance(a, str))
            if isinstance(attention, list)
            else (),
        )


@dataclass(frozen=True, slots=True)
class ProviderToken:
    """One of a provider's live tokens (never its value)."""

    token_id: int
    name: str
    role: str
    created_at: str
    last_used_at: str | None
    last_address: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProviderToken:
        """Read one item of `GET /admin/providers/{id}/tokens/`."""
        return cls(
            token_id=_number(data, "token_id"),
            name=_text(data, "name") or "",
            role=_text(data, "role") or "",
            created_at=_text(data, "created_at") or "",
            last_used_at=_text(data, "last_used_at"),
            last_address=_text(data, "last_address"),
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: str
    actor: str
    role: str
    address: str
    provider_id: int | None
    action: str
    detail: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditEntry:
        """Read one item of `GET /admin/audit/`."""
        provider = data.get("provider_id")
        return cls(
            id=_number(data, "id"),
            at=_text(data, "at") or "",
            actor=_text(data, "actor") or "",
            role=_text(data, "role") or "",
            address=_text(data, "address") or "",
            provider_id=provider if isinstance(provider, int) else None,
            action=_text(data, "action") or "",
            detail=_text(data, "detail") or "",
        )


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just made: its value is shown this once."""

    provider_id: int
    token_id: int
    role: str
    name: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class NewProvider:
    """A provider just made, with its two tokens (shown this once)."""

    provider_id: int
    owner_token: str = field(repr=False)
    attendant_token: str = field(repr=False)


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) and value.strip() else None


def _count(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _number(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RelayUnexpectedResponse(
            _("The relay's answer has no {value}.").format(value=name.replace("_", " ")),
            code="bad_response",
        )
    return value
