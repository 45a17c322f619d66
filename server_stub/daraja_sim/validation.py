"""Checks of STK push and query bodies, in the order and with the answers Daraja uses."""

from __future__ import annotations

import base64
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

from server_stub.daraja_sim.config import ShortcodeAccount
from server_stub.daraja_sim.errors import WRONG_CREDENTIALS, DarajaFault

MAX_BODY_BYTES = 64 * 1024
MIN_AMOUNT = 1
MAX_AMOUNT = 250_000
TRANSACTION_TYPES = ("CustomerPayBillOnline", "CustomerBuyGoodsOnline")
_PHONE = re.compile(r"254[17]\d{8}")
_SHORTCODE = re.compile(r"\d{5,7}")
_TIMESTAMP = re.compile(r"\d{14}")


@dataclass(frozen=True, slots=True)
class PushRequest:
    """A well-formed STK push body (not yet checked against the app's accounts)."""

    shortcode: str
    password: str
    timestamp: str
    transaction_type: str
    amount: int
    party_a: str
    party_b: str
    phone: str
    callback_url: str
    account_reference: str
    transaction_desc: str


@dataclass(frozen=True, slots=True)
class QueryRequest:
    """A well-formed STK query body."""

    shortcode: str
    password: str
    timestamp: str
    checkout_request_id: str


async def read_json_object(request: Request) -> dict[str, Any]:
    """The JSON object body; anything else reads to Daraja as a missing BusinessShortCode."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await request.body()
    if content_type != "application/json" or len(body) > MAX_BODY_BYTES:
        raise DarajaFault.invalid("BusinessShortCode")
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise DarajaFault.invalid("BusinessShortCode") from None
    if not isinstance(data, dict):
        raise DarajaFault.invalid("BusinessShortCode")
    return data


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; keeping them would also break the request log's output.
    raise ValueError(f"{name} is not JSON")


def parse_push(data: dict[str, Any]) -> PushRequest:
    """Validate every field of an STK push body; the first bad field is reported."""
    shortcode, password, timestamp = _credentials_fields(data)
    transaction_type = data.get("TransactionType")
    if transaction_type not in TRANSACTION_TYPES:
        raise DarajaFault.invalid("TransactionType")
    return PushRequest(
        shortcode=shortcode,
        password=password,
        timestamp=timestamp,
        transaction_type=str(transaction_type),
        amount=_amount(data.get("Amount")),
        party_a=_phone(data.get("PartyA"), "PartyA"),
        party_b=_number(data.get("PartyB"), "PartyB"),
        phone=_phone(data.get("PhoneNumber"), "PhoneNumber"),
        callback_url=_callback_url(data.get("CallBackURL")),
        account_reference=_text(data.get("AccountReference"), "AccountReference", 12),
        transaction_desc=_text(data.get("TransactionDesc"), "TransactionDesc", 13),
    )


def parse_query(data: dict[str, Any]) -> QueryRequest:
    """Validate an STK query body."""
    shortcode, password, timestamp = _credentials_fields(data)
    checkout = data.get("CheckoutRequestID")
    if not isinstance(checkout, str) or not checkout.strip() or len(checkout) > 64:
        raise DarajaFault.invalid("CheckoutRequestID")
    return QueryRequest(shortcode, password, timestamp, checkout.strip())


def expected_password(account: ShortcodeAccount, timestamp: str) -> str:
    """Daraja's Password: base64 of shortcode + passkey + timestamp."""
    raw = f"{account.shortcode}{account.passkey}{timestamp}".encode()
    return base64.b64encode(raw).decode("ascii")


def check_password(account: ShortcodeAccount, password: str, timestamp: str) -> None:
    """Refuse a Password not made from this account's passkey and the body's Timestamp."""
    expected = expected_password(account, timestamp)
    if not hmac.compare_digest(expected.encode(), password.encode()):
        raise DarajaFault.of(WRONG_CREDENTIALS)


def _credentials_fields(data: dict[str, Any]) -> tuple[str, str, str]:
    shortcode = _number(data.get("BusinessShortCode"), "BusinessShortCode")
    password = data.get("Password")
    if not isinstance(password, str) or not password or len(password) > 1024:
        raise DarajaFault.invalid("Password")
    return shortcode, password, _timestamp(data.get("Timestamp"))


def _number(value: Any, field: str) -> str:
    """A shortcode-like number, sent as a JSON number or a string of 5 to 7 digits."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _SHORTCODE.fullmatch(text):
        raise DarajaFault.invalid(field)
    return text


def _phone(value: Any, field: str) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _PHONE.fullmatch(text):
        raise DarajaFault.invalid(field)
    return text


def _amount(value: Any) -> int:
    """Whole shillings from 1 to 250,000, as a number or a digit string; no decimals."""
    if isinstance(value, bool):
        raise DarajaFault.invalid("Amount")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.isdigit() and len(value) <= 7:
        value = int(value)
    if not isinstance(value, int) or not MIN_AMOUNT <= value <= MAX_AMOUNT:
        raise DarajaFault.invalid("Amount")
    return value


def _timestamp(value: Any) -> str:
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        raise DarajaFault.invalid("Timestamp")
    try:
        datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        raise DarajaFault.invalid("Timestamp") from None
    return value


def _callback_url(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise DarajaFault.invalid("CallBackURL")
    if any(ch.isspace() for ch in value):
        raise DarajaFault.invalid("CallBackURL")
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise DarajaFault.invalid("CallBackURL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise DarajaFault.invalid("CallBackURL")
    return value


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise DarajaFault.invalid(field)
    return value
