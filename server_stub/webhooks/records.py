"""What the webhook store hands out: endpoints, claimed deliveries, attempts and log rows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    """An owner's webhook endpoint (its secrets are never part of it)."""

    id: int
    provider_id: int
    url: str
    description: str
    events: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    created_at: float
    old_secret_until: float | None
    failing_since: float | None
    last_success_at: float | None


@dataclass(frozen=True, slots=True)
class ClaimedWebhook:
    """A delivery leased to this worker, with everything needed to send it."""

    delivery_id: int
    lease_id: str
    endpoint_id: int
    provider_id: int
    url: str
    event_id: str
    event_type: str
    body: bytes = field(repr=False)
    attempts: int
    # Encrypted at rest; the old one signs too while a rotation runs.
    secrets: tuple[bytes, ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one send gave: a status code (None: no answer), or an error sentence."""

    status_code: int | None
    duration_ms: int
    error: str | None = None
    response_body: str = ""

    @property
    def ok(self) -> bool:
        """2xx is success; everything else is retried."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One row of an endpoint's delivery log: an attempt, or a delivery not yet tried."""

    delivery_id: int
    event_id: str
    event_type: str
    state: str
    attempt: int
    at: float
    status_code: int | None
    duration_ms: int | None
    error: str | None
    response_body: str
    next_try_at: float | None
