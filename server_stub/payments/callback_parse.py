"""The STK callback's shape (DARAJA.md, "Callback"), checked strictly before anything is applied.

`"0"` or `true` never mean paid: ResultCode must be a JSON integer, or a code string with a letter
in it such as `"SFC_IC0003"`. Metadata items are looked up by name, in any order. The published
schema of this body is `server_stub.api.callback_schema`; keep the two in step.
"""

from __future__ import annotations

import re
from typing import Any

from server_stub.payments.settlement import StkResult
from server_stub.payments.strict_json import JsonBodyError

MAX_DESC_CHARS = 1000
MAX_RESULT_CODE = 999_999_999
MAX_AMOUNT = 10_000_000
_IDENTIFIER = re.compile(r"[!-~]{1,64}")
_CODE_STRING = re.compile(r"[0-9_.\-]*[A-Za-z][A-Za-z0-9_.\-]*")
_RECEIPT = re.compile(r"[A-Za-z0-9]{6,20}")
_PATH = "Body.stkCallback"


def parse_stk_callback(data: dict[str, Any]) -> StkResult:
    """The result carried by a callback body; JsonBodyError names the first bad field."""
    body = _object(data, "Body", "Body")
    callback = _object(body, "stkCallback", _PATH)
    checkout = _identifier(callback, "CheckoutRequestID")
    merchant = _identifier(callback, "MerchantRequestID")
    code = _result_code(callback.get("ResultCode"))
    desc = callback.get("ResultDesc", "")
    if not isinstance(desc, str) or len(desc) > MAX_DESC_CHARS:
        raise JsonBodyError("ResultDesc must be text.", f"{_PATH}.ResultDesc")
    items = _metadata_items(callback) if "CallbackMetadata" in callback else []
    amount, receipt = None, None
    if code == "0":
        amount = _first_valid(items, "Amount", _amount)
        receipt = _first_valid(items, "MpesaReceiptNumber", _receipt)
        if amount is None or receipt is None:
            raise JsonBodyError(
                "A successful callback needs CallbackMetadata items Amount (whole shillings) "
                "and MpesaReceiptNumber (letters and digits).",
                f"{_PATH}.CallbackMetadata",
            )
    return StkResult(
        result_code=code,
        result_desc=desc.strip(),
        checkout_request_id=checkout,
        merchant_request_id=merchant,
        receipt=receipt,
        amount=amount,
    )


def _object(parent: dict[str, Any], name: str, path: str) -> dict[str, Any]:
    value = parent.get(name)
    if not isinstance(value, dict):
        raise JsonBodyError(f"{path} must be a JSON object.", path)
    return value


def _identifier(callback: dict[str, Any], name: str) -> str:
    value = callback.get(name)
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise JsonBodyError(
            f"{name} must be a Daraja request id (1 to 64 visible characters).", f"{_PATH}.{name}"
        )
    return value


def _result_code(value: object) -> str:
    path = f"{_PATH}.ResultCode"
    if isinstance(value, float) and value.is_integer():
        # JSON (and JSON Schema) has one number type: 0.0 is the integer 0, as 1032.0 is 1032.
        # A forger gains nothing from 0.0 over 0; the per-push token and the verifying query
        # are what stand between a forged callback and a payment.
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_RESULT_CODE:
            raise JsonBodyError("ResultCode is out of range.", path)
        return str(value)
    if isinstance(value, str) and len(value) <= 32 and _CODE_STRING.fullmatch(value):
        return value
    # Digits in a string ("0"), true, null, 1.5: only a JSON number can say "paid".
    raise JsonBodyError(
        "ResultCode must be a JSON number, or a code such as SFC_IC0003 (not a quoted number).",
        path,
    )


def _metadata_items(callback: dict[str, Any]) -> list[dict[str, Any]]:
    path = f"{_PATH}.CallbackMetadata"
    metadata = callback.get("CallbackMetadata")
    items = metadata.get("Item") if isinstance(metadata, dict) else None
    if not isinstance(items, list):
        raise JsonBodyError("CallbackMetadata must be an object with an Item list.", path)
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            raise JsonBodyError("Each CallbackMetadata item needs a Name.", path + ".Item")
    return items


def _first_valid(items: list[dict[str, Any]], name: str, check: Any) -> Any:
    """The first item called `name` whose Value passes `check` (items come in any order)."""
    for item in items:
        if item.get("Name") == name and "Value" in item:
            value = check(item["Value"])
            if value is not None:
                return value
    return None


def _amount(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value) if 1 <= value <= MAX_AMOUNT else None


def _receipt(value: object) -> str | None:
    return value if isinstance(value, str) and _RECEIPT.fullmatch(value) else None
