"""The STK callback's shape (DARAJA.md, "Callback"), checked strictly before anything is applied.

`"0"` or `true` never mean paid: ResultCode must be a JSON integer, or a code string with a letter
in it such as `"SFC_IC0003"`. Metadata items are looked up by name, in any order.
"""

from __future__ import annotations

import re
from typing import Any

from server_stub.settlement import StkResult
from server_stub.strict_json import JsonBodyError

MAX_ID_CHARS = 64
MAX_DESC_CHARS = 1000
_CODE_STRING = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9_.\-]{1,32}")
_RECEIPT = re.compile(r"[A-Za-z0-9]{6,20}")


def parse_stk_callback(data: dict[str, Any]) -> StkResult:
    """The result carried by a callback body; JsonBodyError names the first bad field."""
    body = _object(data, "Body", "Body")
    callback = _object(body, "stkCallback", "Body.stkCallback")
    checkout = _identifier(callback, "CheckoutRequestID")
    merchant = _identifier(callback, "MerchantRequestID")
    code = _result_code(callback.get("ResultCode"))
    desc = callback.get("ResultDesc", "")
    if not isinstance(desc, str) or len(desc) > MAX_DESC_CHARS:
        raise JsonBodyError("ResultDesc must be text.", "Body.stkCallback.ResultDesc")
    amount, receipt = None, None
    if code == "0":
        items = _metadata_items(callback)
        amount = _amount(items.get("Amount"))
        receipt = _receipt(items.get("MpesaReceiptNumber"))
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
    path = f"Body.stkCallback.{name}"
    if not isinstance(value, str) or not value.strip():
        raise JsonBodyError(f"{name} is missing or not text.", path)
    if len(value) > MAX_ID_CHARS or not value.isprintable():
        raise JsonBodyError(f"{name} is not a Daraja request id.", path)
    return value.strip()


def _result_code(value: object) -> str:
    path = "Body.stkCallback.ResultCode"
    if isinstance(value, bool) or value is None:
        raise JsonBodyError("ResultCode must be a number such as 0 or 1032.", path)
    if isinstance(value, int):
        if abs(value) >= 10**9:
            raise JsonBodyError("ResultCode is out of range.", path)
        return str(value)
    if isinstance(value, str) and _CODE_STRING.fullmatch(value):
        return value
    # Digits in a string ("0") are refused: only a JSON number can say "paid".
    raise JsonBodyError(
        "ResultCode must be a JSON number, or a code such as SFC_IC0003 (not a quoted number).",
        path,
    )


def _metadata_items(callback: dict[str, Any]) -> dict[str, object]:
    path = "Body.stkCallback.CallbackMetadata"
    metadata = callback.get("CallbackMetadata")
    items = metadata.get("Item") if isinstance(metadata, dict) else None
    if not isinstance(items, list):
        raise JsonBodyError("A successful callback needs CallbackMetadata.Item (a list).", path)
    found: dict[str, object] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            raise JsonBodyError("Each CallbackMetadata item needs a Name.", path + ".Item")
        found.setdefault(item["Name"], item.get("Value"))
    return found


def _amount(value: object) -> int:
    path = "Body.stkCallback.CallbackMetadata.Amount"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise JsonBodyError("A successful callback needs a numeric Amount.", path)
    if isinstance(value, float) and not value.is_integer():
        raise JsonBodyError("Amount must be whole shillings.", path)
    if not 0 < value <= 10**7:
        raise JsonBodyError("Amount is out of range.", path)
    return int(value)


def _receipt(value: object) -> str:
    if not isinstance(value, str) or not _RECEIPT.fullmatch(value):
        raise JsonBodyError(
            "A successful callback needs an MpesaReceiptNumber (letters and digits).",
            "Body.stkCallback.CallbackMetadata.MpesaReceiptNumber",
        )
    return value
