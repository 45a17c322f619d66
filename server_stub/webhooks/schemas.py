"""Request and response bodies of the webhook routes (DESIGN.md section 10)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from server_stub.api.requests import JsonRequest
from server_stub.api.schemas import iso_time
from server_stub.webhooks.addresses import MAX_URL, URL_PATTERN
from server_stub.webhooks.records import EndpointRecord, LogEntry

EventName = Literal[
    "payment.paid",
    "payment.confirmed",
    "payment.failed",
    "payment.disputed",
    "access.issued",
    "access.delivered",
]
MAX_DESCRIPTION = 200
# Published, and held to by the relay (server_stub/webhooks/addresses.py), which also takes plain
# http:// to loopback outside production and refuses private and loopback addresses after DNS,
# with a sentence naming the field.
URL_FIELD = Field(
    min_length=1,
    max_length=MAX_URL,
    json_schema_extra={"pattern": URL_PATTERN},
    examples=["https://portal.example/hooks"],
)
EVENTS_FIELD = Field(min_length=1, max_length=12, examples=[["payment.confirmed"]])


class EndpointCreate(JsonRequest):
    """A receiver's HTTPS address and the events it wants."""

    url: str = URL_FIELD
    events: list[EventName] = EVENTS_FIELD
    description: str = Field(default="", max_length=MAX_DESCRIPTION, pattern=r"^[^\x00-\x1f]*$")


class EndpointChange(JsonRequest):
    """Any of: a new address, events, description; `enabled` false disables it."""

    url: str | None = Field(
        default=None, min_length=1, max_length=MAX_URL, json_schema_extra={"pattern": URL_PATTERN}
    )
    events: list[EventName] | None = Field(default=None, min_length=1, max_length=12)
    description: str | None = Field(
        default=None, max_length=MAX_DESCRIPTION, pattern=r"^[^\x00-\x1f]*$"
    )
    enabled: bool | None = None


class EndpointItem(BaseModel):
    """An endpoint as the owner sees it (never its secret)."""

    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: str
    old_secret_valid_until: str | None
    failing_since: str | None
    last_success_at: str | None


class EndpointsPage(BaseModel):
    """The provider's endpoints, oldest first."""

    items: list[EndpointItem]


class EndpointCreated(EndpointItem):
    """The new endpoint, with its `whsec_` secret: shown here once, never again."""

    success: bool = True
    secret: str


class EndpointChanged(EndpointItem):
    """The endpoint after the change."""

    success: bool = True


class EndpointDeleted(BaseModel):
    """The endpoint, its pending deliveries and its log are gone."""

    success: bool = True
    id: int
    deleted: bool = True


class SecretRotated(BaseModel):
    """The new secret (shown once); the old one also signs until `old_secret_valid_until`."""

    success: bool = True
    id: int
    secret: str
    old_secret_valid_until: str


class TestQueued(BaseModel):
    """A `webhook.test` event is queued for the endpoint; watch its delivery log."""

    success: bool = True
    event_id: str


class DeliveryItem(BaseModel):
    """One attempt (or a delivery not tried yet: attempt 0) in an endpoint's log."""

    id: int = Field(description="The delivery's id, for redeliver.")
    event_id: str
    event: str
    state: str
    attempt: int
    status_code: int | None
    duration_ms: int | None
    at: str
    next_try_at: str | None
    error: str | None
    response_body: str = Field(description="The first 1 KB of the receiver's answer.")


class DeliveryLog(BaseModel):
    """The endpoint's delivery log, newest first."""

    items: list[DeliveryItem]


class Redelivered(BaseModel):
    """The delivery is queued again, with the same event id."""

    success: bool = True
    id: int


def endpoint_fields(record: EndpointRecord, now: float) -> dict[str, Any]:
    """An EndpointItem's fields."""
    rotating = record.old_secret_until is not None and record.old_secret_until > now
    return {
        "id": record.id,
        "url": record.url,
        "description": record.description,
        "events": list(record.events),
        "enabled": record.enabled,
        "disabled_reason": record.disabled_reason,
        "created_at": iso_time(record.created_at),
        "old_secret_valid_until": iso_time(record.old_secret_until) if rotating else None,
        "failing_since": iso_time(record.failing_since) or None,
        "last_success_at": iso_time(record.last_success_at) or None,
    }


def delivery_item(entry: LogEntry) -> DeliveryItem:
    """A log entry as a DeliveryItem."""
    return DeliveryItem(
        id=entry.delivery_id,
        event_id=entry.event_id,
        event=entry.event_type,
        state=entry.state,
        attempt=entry.attempt,
        status_code=entry.status_code,
        duration_ms=entry.duration_ms,
        at=iso_time(entry.at),
        next_try_at=iso_time(entry.next_try_at) or None,
        error=entry.error,
        response_body=entry.response_body,
    )
