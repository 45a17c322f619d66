"""Identifiers in Daraja's formats: tokens, request ids, checkout ids, M-PESA receipts."""

from __future__ import annotations

import itertools
import secrets
import string
from datetime import datetime
from zoneinfo import ZoneInfo

NAIROBI = ZoneInfo("Africa/Nairobi")
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_RECEIPT_ALPHABET = string.ascii_uppercase + string.digits
# Receipts start with a letter for the year (N = 2019, O = 2020, ...) and one for the month.
_RECEIPT_BASE_YEAR = 2019


def nairobi_now() -> datetime:
    """The current time in Africa/Nairobi, as Daraja's timestamps are."""
    return datetime.now(tz=NAIROBI)


def transaction_date(moment: datetime) -> int:
    """TransactionDate of a callback: `YYYYMMDDHHmmss` as a number."""
    return int(moment.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S"))


class IdFactory:
    """Makes unique identifiers for one simulator instance."""

    def __init__(self) -> None:
        self._serial = itertools.count(1)

    def access_token(self) -> str:
        """An opaque 28-character token, like Daraja's."""
        return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(28))

    def request_id(self) -> str:
        """`requestId` of an error body, such as `4242-10536284-1`."""
        return f"{secrets.randbelow(90000) + 10000}-{next(self._serial) + 10_000_000}-1"

    def merchant_request_id(self) -> str:
        """MerchantRequestID, such as `29115-34620561-1`."""
        return f"{secrets.randbelow(90000) + 10000}-{next(self._serial) + 30_000_000}-1"

    def checkout_request_id(self, moment: datetime) -> str:
        """CheckoutRequestID: `ws_CO_` + DDMMYYYYHHmmss + a serial, unique per instance."""
        stamp = moment.astimezone(NAIROBI).strftime("%d%m%Y%H%M%S")
        return f"ws_CO_{stamp}{next(self._serial):07d}"

    def receipt_number(self, moment: datetime) -> str:
        """An M-PESA receipt such as `UKQ7RT61SV`: year and month letters, then 8 characters."""
        local = moment.astimezone(NAIROBI)
        year = string.ascii_uppercase[(13 + local.year - _RECEIPT_BASE_YEAR) % 26]
        month = string.ascii_uppercase[local.month - 1]
        tail = "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(8))
        return year + month + tail
