"""Standard Webhooks 1.0 signatures through the `standardwebhooks` package, always in UTC.

`Webhook.sign()` relabels any datetime as UTC (`timestamp.replace(tzinfo=utc)`) instead of
converting it, so an Africa/Nairobi time gives a signature no receiver can verify
(standard-webhooks/standard-webhooks issue #251, ../shared/ACTIVATION.md section C). Everything
here converts to UTC first and refuses naive datetimes, which would be read as local time.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
SECRET_BYTES = 32  # the spec allows 24 to 64


@dataclass(frozen=True, slots=True)
class SigningSecret:
    """A `whsec_` secret; its repr never shows it."""

    value: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.value.startswith(SECRET_PREFIX) or len(self.value) <= len(SECRET_PREFIX):
            raise ValueError("A webhook secret starts with whsec_.")


def new_secret() -> SigningSecret:
    """A fresh secret: 32 random bytes, base64, prefixed `whsec_`."""
    return SigningSecret(SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode())


def utc_signature(secret: SigningSecret, msg_id: str, at: datetime, body: bytes) -> str:
    """`v1,<base64>` for this message, with `at` converted to UTC (naive times refused)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("A webhook timestamp must carry its time zone.")
    return Webhook(secret.value).sign(msg_id, at.astimezone(UTC), body.decode("utf-8"))


def signed_headers(
    secrets: Sequence[SigningSecret], msg_id: str, at: datetime, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers; one `v1,` signature per secret (rotation)."""
    if not secrets:
        raise ValueError("At least one secret signs a webhook.")
    signatures = " ".join(utc_signature(secret, msg_id, at, body) for secret in secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.astimezone(UTC).timestamp())),
        "webhook-signature": signatures,
    }
