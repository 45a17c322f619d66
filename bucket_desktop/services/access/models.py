"""A payment's access as the relay sends it (DESIGN.md section 4), parsed leniently.

Unknown fields are ignored and a malformed access is treated as none, so a relay newer than the
desk never breaks the payment list.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# What the relay may say an access is; anything else reads as `issued` (not yet online).
ACCESS_STATES = ("issued", "delivered", "failed", "revoked")
CONFIRMATIONS = ("pending", "confirmed", "not_needed")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One mechanism putting the access on the network (RADIUS, MikroTik)."""

    mechanism: str
    state: str  # pending, leased, delivered, failed, revoked
    attempts: int
    last_error: str | None
    next_try_at: float | None


@dataclass(frozen=True, slots=True)
class Access:
    """What a paid sale gives the customer: a code or a voucher, and until when."""

    code: str
    plan_id: int | None
    starts_at: float | None
    expires_at: float | None  # None for a voucher: it starts at the customer's first login
    state: str
    voucher: bool
    deliveries: tuple[Delivery, ...] = ()

    @property
    def failed_deliveries(self) -> tuple[Delivery, ...]:
        """Deliveries that failed and wait for their next try (a desk may retry them now)."""
        return tuple(d for d in self.deliveries if d.state == "failed")

    @classmethod
    def from_json(cls, data: object) -> Access | None:
        """Read `access` from a payment item; None when absent or unreadable."""
        if not isinstance(data, dict):
            return None
        code = data.get("code")
        if not isinstance(code, str) or not code.strip():
            return None
        state = data.get("state")
        raw = data.get("deliveries")
        deliveries = tuple(
            delivery
            for item in (raw if isinstance(raw, list) else [])
            if (delivery := _delivery(item)) is not None
        )
        plan_id = data.get("plan_id")
        return cls(
            code=code,
            plan_id=plan_id if isinstance(plan_id, int) and not isinstance(plan_id, bool) else None,
            starts_at=parse_time(data.get("starts_at")),
            expires_at=parse_time(data.get("expires_at")),
            state=sys.intern(state) if state in ACCESS_STATES else "issued",
            voucher=data.get("voucher") is True,
            deliveries=deliveries,
        )

    def to_json(self) -> dict[str, Any]:
        """The relay's shape again (the desk's cache keeps it as JSON)."""
        return {
            "code": self.code,
            "plan_id": self.plan_id,
            "starts_at": self.starts_at,
            "expires_at": self.expires_at,
            "state": self.state,
            "voucher": self.voucher,
            "deliveries": [
                {
                    "mechanism": d.mechanism,
                    "state": d.state,
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                    "next_try_at": d.next_try_at,
                }
                for d in self.deliveries
            ],
        }


def confirmation_of(value: object) -> str | None:
    """The payment's `confirmation`, or None when absent or unknown."""
    return sys.intern(value) if isinstance(value, str) and value in CONFIRMATIONS else None


def plan_name_of(plan: object) -> str:
    """The name in the plan terms a payment keeps, or "" for a push without a plan."""
    name = plan.get("name") if isinstance(plan, dict) else None
    return sys.intern(name) if isinstance(name, str) else ""


def parse_time(raw: object) -> float | None:
    """Unix time from the relay's ISO 8601 text (naive means UTC) or a number (the cache)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _delivery(item: object) -> Delivery | None:
    if not isinstance(item, dict) or not isinstance(item.get("mechanism"), str):
        return None
    attempts = item.get("attempts")
    error = item.get("last_error")
    return Delivery(
        mechanism=str(item["mechanism"]),
        state=str(item.get("state") or "pending"),
        attempts=attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 0,
        last_error=error if isinstance(error, str) else None,
        next_try_at=parse_time(item.get("next_try_at")),
    )
