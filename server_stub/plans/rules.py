"""What a plan may hold: M-PESA's limits on its texts, whole shillings, a router speed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bucket_desktop.services.mpesa_rules import (
    RuleError,
    validate_account_reference,
    validate_amount,
    validate_transaction_desc,
)
from server_stub.errors import RelayError

MAX_NAME = 40
MAX_DURATION_MINUTES = 366 * 24 * 60
MAX_DATA_CAP_MB = 10_000_000
MAX_PROFILE = 64
# MikroTik's rate-limit form, upload/download: "2M/5M", "512k/1M", "1.5M/3M".
_RATE = r"[0-9]{1,6}(?:\.[0-9]{1,3})?[kKmMgG]?"
SPEED_PATTERN = re.compile(rf"^{_RATE}/{_RATE}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class PlanFields:
    """A plan's fields, checked."""

    name: str
    price: int
    duration_minutes: int
    data_cap_mb: int | None
    speed: str | None
    router_profile: str | None
    account_reference: str
    transaction_desc: str

    @classmethod
    def validate(
        cls,
        *,
        name: str,
        price: object,
        duration_minutes: int,
        data_cap_mb: int | None,
        speed: str | None,
        router_profile: str | None,
        account_reference: str,
        transaction_desc: str,
    ) -> PlanFields:
        """Check every field; RelayError 400 naming the first bad one."""
        try:
            return cls(
                name=_text(name, MAX_NAME, "name", "The plan name"),
                price=_price(price),
                duration_minutes=_whole(
                    duration_minutes, 1, MAX_DURATION_MINUTES, "duration_minutes", "The duration"
                ),
                data_cap_mb=None
                if data_cap_mb is None
                else _whole(data_cap_mb, 1, MAX_DATA_CAP_MB, "data_cap_mb", "The data cap"),
                speed=_speed(speed),
                router_profile=None
                if router_profile is None or not router_profile.strip()
                else _text(router_profile, MAX_PROFILE, "router_profile", "The router profile"),
                account_reference=validate_account_reference(account_reference),
                transaction_desc=validate_transaction_desc(transaction_desc),
            )
        except RuleError as error:
            raise RelayError(error.message, code="invalid", field=error.field) from None


def _price(raw: object) -> int:
    try:
        return validate_amount(raw)
    except RuleError as error:
        raise RuleError(error.message.replace("amount", "price"), "price") from None


def _text(raw: str, limit: int, field: str, label: str) -> str:
    text = raw.strip()
    if not text or _CONTROL.search(text):
        raise RuleError(f"{label} must be printable text and not empty.", field)
    if len(text) > limit:
        raise RuleError(f"{label} must be at most {limit} characters.", field)
    return text


def _whole(value: int, low: int, high: int, field: str, label: str) -> int:
    if not low <= value <= high:
        raise RuleError(f"{label} must be a whole number from {low} to {high}.", field)
    return value


def _speed(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    speed = raw.strip()
    if not SPEED_PATTERN.match(speed):
        raise RuleError(
            "The speed must be upload/download as the router writes it, like 2M/5M or 512k/1M.",
            "speed",
        )
    return speed
