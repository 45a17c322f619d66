"""The STK callback body as JSON Schema (OpenAPI 3.1), matching what `callback_parse` accepts.

Unknown fields are accepted at every level, as any JSON value that `strict_json` allows.
"""

from __future__ import annotations

from typing import Any

from server_stub.payments.strict_json import MAX_STRING_CHARS

SAFE_JSON_REF = {"$ref": "#/components/schemas/SafeJson"}
_TEXT: dict[str, Any] = {"type": "string", "maxLength": MAX_STRING_CHARS, "pattern": r"^[^\x00]*$"}
SAFE_KEY = _TEXT
# Any JSON value strict parsing lets through (nesting depth aside).
SAFE_JSON: dict[str, Any] = {
    "anyOf": [
        _TEXT,
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
        {"type": "array", "items": SAFE_JSON_REF},
        {"type": "object", "additionalProperties": SAFE_JSON_REF, "propertyNames": _TEXT},
    ]
}
_ID = {"type": "string", "pattern": r"^[!-~]{1,64}$"}
_RESULT_CODE = {
    "anyOf": [
        {"type": "integer", "minimum": -999_999_999, "maximum": 999_999_999},
        {"type": "string", "maxLength": 32, "pattern": r"^[0-9_.\-]*[A-Za-z][A-Za-z0-9_.\-]*$"},
    ]
}


def _object(required: list[str], properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": SAFE_JSON_REF,
        "propertyNames": _TEXT,
        **more,
    }


def _named(name: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "contains": {
            "type": "object",
            "required": ["Name", "Value"],
            "properties": {"Name": {"const": name}, "Value": value},
        }
    }


_ITEM = _object(["Name"], {"Name": _TEXT, "Value": SAFE_JSON_REF})
_METADATA = _object(["Item"], {"Item": {"type": "array", "items": _ITEM}})
_PAID_ITEMS = {
    "allOf": [
        _named("Amount", {"type": "number", "multipleOf": 1, "minimum": 1, "maximum": 10_000_000}),
        _named("MpesaReceiptNumber", {"type": "string", "pattern": r"^[A-Za-z0-9]{6,20}$"}),
    ]
}
STK_CALLBACK = _object(
    ["MerchantRequestID", "CheckoutRequestID", "ResultCode"],
    {
        "MerchantRequestID": _ID,
        "CheckoutRequestID": _ID,
        "ResultCode": _RESULT_CODE,
        "ResultDesc": {"type": "string", "maxLength": 1000, "pattern": r"^[^\x00]*$"},
        "CallbackMetadata": _METADATA,
    },
    # ResultCode 0 (paid) must carry the amount and the receipt.
    **{
        "if": {"required": ["ResultCode"], "properties": {"ResultCode": {"const": 0}}},
        "then": {
            "required": ["CallbackMetadata"],
            "properties": {"CallbackMetadata": {"properties": {"Item": _PAID_ITEMS}}},
        },
    },
)
CALLBACK_BODY = _object(["Body"], {"Body": _object(["stkCallback"], {"stkCallback": STK_CALLBACK})})
