"""Webhook endpoints and their delivery log, read from the relay's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.relay_errors import RelayUnexpectedResponse

# The events an owner may choose, with the words the page shows for each.
EVENT_LABELS = {
    "payment.paid": N_("Payment paid (not yet confirmed with M-PESA)"),
    "payment.confirmed": N_("Payment confirmed by M-PESA: safe to give service"),
    "payment.failed": N_("Payment failed or cancelled"),
    "payment.disputed": N_("Payment disputed: take the customer offline"),
    "access.issued": N_("Access code issued"),
    "access.delivered": N_("Access code on the network"),
}
EVENT_SHORT = {
    "payment.paid": "paid",
    "payment.confirmed": "confirmed",
    "payment.failed": "failed",
    "payment.disputed": "disputed",
    "access.issued": "code issued",
    "access.delivered": "code delivered",
    "webhook.test": "test",
}


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """An endpoint as the owner sees it (never its secret)."""

    id: int
    url: str
    description: str
    events: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    old_secret_valid_until: str | None
    failing_since: str | None
    last_success_at: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WebhookEndpoint:
        """Read one endpoint."""
        endpoint_id = data.get("id")
        if not isinstance(endpoint_id, int) or isinstance(endpoint_id, bool):
            raise _unreadable(_("An endpoint from the relay has no ID."))
        events = data.get("events")
        return cls(
            id=endpoint_id,
            url=_text(data, "url") or "",
            description=_text(data, "description") or "",
            events=tuple(e for e in events if isinstance(e, str))
            if isinstance(events, list)
            else (),
            enabled=data.get("enabled") is True,
            disabled_reason=_text(data, "disabled_reason"),
            old_secret_valid_until=_text(data, "old_secret_valid_until"),
            failing_since=_text(data, "failing_since"),
            last_success_at=_text(data, "last_success_at"),
        )


@dataclass(frozen=True, slots=True)
class NewSecret:
    """A `whsec_` secret just made (an endpoint added, or a secret rotated): shown once."""

    endpoint: WebhookEndpoint
    secret: str = field(repr=False)
    old_secret_valid_until: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryEntry:
    """One attempt in an endpoint's delivery log (attempt 0: not tried yet)."""

    delivery_id: int
    event_id: str
    event: str
    state: str
    attempt: int
    status_code: int | None
    duration_ms: int | None
    at: str
    next_try_at: str | None
    error: str | None
    response_body: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeliveryEntry:
        """Read one log entry."""
        delivery_id = data.get("id")
        if not isinstance(delivery_id, int) or isinstance(delivery_id, bool):
            raise _unreadable(_("A delivery from the relay has no ID."))
        return cls(
            delivery_id=delivery_id,
            event_id=_text(data, "event_id") or "",
            event=_text(data, "event") or "",
            state=_text(data, "state") or "",
            attempt=_number(data, "attempt") or 0,
            status_code=_number(data, "status_code"),
            duration_ms=_number(data, "duration_ms"),
            at=_text(data, "at") or "",
            next_try_at=_text(data, "next_try_at"),
            error=_text(data, "error"),
            response_body=_text(data, "response_body") or "",
        )


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) and value else None


def _number(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _unreadable(message: str) -> RelayUnexpectedResponse:
    return RelayUnexpectedResponse(message, code="bad_response")
