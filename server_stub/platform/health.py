"""A provider's health as the platform administrator sees it, and what needs their attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

NAIROBI = ZoneInfo("Africa/Nairobi")
DAY_S = 24 * 3600.0
WINDOW_DAYS = 30
# A push's callback normally comes within a minute; a day of pushes and none is a broken
# callback address (BASE_URL, a proxy, a firewall), not bad luck.
SILENCE_S = DAY_S


class Attention(StrEnum):
    """Why a provider needs a look (the desk's "needs attention" filter)."""

    NOT_VERIFIED = "credentials_not_verified"
    NO_CALLBACKS = "no_callbacks"
    DISPUTED = "disputed_payments"
    FAILING_DELIVERIES = "failing_deliveries"


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """One provider's row of the health list (sales only: test prompts never count)."""

    id: int
    name: str
    created_at: float
    credentials_set: bool
    environment: str | None
    verified: bool
    last_test_at: float | None
    last_test_status: str | None
    last_callback_at: float | None
    disabled_at: float | None
    payments_today: int = 0
    paid_today: int = 0
    payments_30d: int = 0
    paid_30d: int = 0
    disputed: int = 0
    pushes_24h: int = 0
    not_online: int = 0
    failing_deliveries: int = 0

    def attention(self, now: float) -> list[Attention]:
        """The reasons this provider needs a look, most urgent first."""
        reasons = []
        if self.disputed:
            reasons.append(Attention.DISPUTED)
        if self.failing_deliveries:
            reasons.append(Attention.FAILING_DELIVERIES)
        silent = self.last_callback_at is None or self.last_callback_at < now - SILENCE_S
        if self.pushes_24h and silent:
            reasons.append(Attention.NO_CALLBACKS)
        if not self.verified:
            reasons.append(Attention.NOT_VERIFIED)
        return reasons


@dataclass(frozen=True, slots=True)
class HealthWindow:
    """The moments the health list counts from."""

    now: float
    day_start: float  # midnight in Nairobi (DESIGN.md section 13: "by the Nairobi day")
    since_24h: float
    since_30d: float

    @classmethod
    def at(cls, now: float) -> HealthWindow:
        """The window ending at `now`."""
        local = datetime.fromtimestamp(now, NAIROBI)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        start_30d = midnight - timedelta(days=WINDOW_DAYS - 1)
        return cls(
            now=now,
            day_start=midnight.timestamp(),
            since_24h=now - DAY_S,
            since_30d=start_30d.timestamp(),
        )
