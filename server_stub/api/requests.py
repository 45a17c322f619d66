"""Request bodies of the JSON API: their OpenAPI schemas say exactly what the relay accepts.

Every body also passes `strict_json` first (no NUL, no lone surrogates, bounded sizes), so the
published patterns exclude control characters; unknown extra fields are accepted and ignored.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bucket_desktop.services.mpesa_rules import (
    MAX_ACCOUNT_REFERENCE,
    MAX_AMOUNT,
    MAX_TRANSACTION_DESC,
    MIN_AMOUNT,
)
from server_stub.api.callback_schema import SAFE_JSON_REF, SAFE_KEY

_SEP = r"[ \-.()/]"
# What `normalise_phone` accepts: +254 / 254 / 0 / nothing, then 7 or 1 and eight digits, with
# spaces, dashes, dots, brackets or slashes anywhere.
PHONE_PATTERN = (
    rf"^{_SEP}*(?:\+{_SEP}*2{_SEP}*5{_SEP}*4{_SEP}*|2{_SEP}*5{_SEP}*4{_SEP}*|0{_SEP}*)?"
    rf"[71]{_SEP}*(?:[0-9]{_SEP}*){{8}}$"
)
# Printable text with at least one visible character (Daraja shows it to the customer).
SHORT_TEXT = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
_IDENTIFIER = r"^[!-~]+$"


def request_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """OpenAPI `requestBody` for a route that reads and checks its JSON body itself."""
    schema = model.model_json_schema()
    schema["additionalProperties"] = SAFE_JSON_REF  # published here: pydantic cannot refer out
    schema["propertyNames"] = SAFE_KEY  # strict parsing refuses NUL in keys too
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": schema}},
        }
    }


def whole_number(value: object) -> object:
    """JSON integers, and numbers like 10.0 (JSON Schema counts them as integers)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer field that also takes JSON numbers like 10.0 (JSON Schema counts them as integers).
WholeNumber = Annotated[int, BeforeValidator(whole_number)]


class JsonRequest(BaseModel):
    """Strict fields; unknown fields are accepted and ignored (strict JSON still applies)."""

    model_config = ConfigDict(strict=True, extra="ignore")


class InitiateRequest(JsonRequest):
    """Charge a customer: the phone in any common Kenyan form, whole shillings.

    With `plan_id`, the amount and texts come from the plan (an amount that differs from its
    price is refused); without one, all three are required.
    """

    phone_number: str = Field(max_length=32, pattern=PHONE_PATTERN, examples=["0712 345 678"])
    amount: (
        Annotated[int, Field(ge=MIN_AMOUNT, le=MAX_AMOUNT), BeforeValidator(whole_number)] | None
    ) = None
    account_reference: str | None = Field(
        default=None, min_length=1, max_length=MAX_ACCOUNT_REFERENCE, pattern=SHORT_TEXT
    )
    transaction_desc: str | None = Field(
        default=None, min_length=1, max_length=MAX_TRANSACTION_DESC, pattern=SHORT_TEXT
    )
    plan_id: Annotated[int, Field(ge=1, le=2**53), BeforeValidator(whole_number)] | None = None


def initiate_body() -> dict[str, Any]:
    """InitiateRequest's published body: the charge's three fields, or a plan."""
    extra = request_body(InitiateRequest)
    schema = extra["requestBody"]["content"]["application/json"]["schema"]
    for name, field in schema["properties"].items():
        # Optional means "may be left out", not "may be null": publish the value's own type.
        options = [option for option in field.pop("anyOf", []) if option.get("type") != "null"]
        if options:
            field.pop("default", None)
            schema["properties"][name] = {**options[0], **field}
    schema["anyOf"] = [
        {"required": ["amount", "account_reference", "transaction_desc"]},
        {"required": ["plan_id"]},
    ]
    return extra


class StatusRequest(JsonRequest):
    """Which push to report on."""

    checkout_request_id: str = Field(min_length=1, max_length=64, pattern=_IDENTIFIER)


class CredentialsPut(JsonRequest):
    """Credentials JSON sealed (libsodium sealed box, base64) to the relay key."""

    sealed: str = Field(min_length=1, max_length=4096, pattern=r"^[A-Za-z0-9+/]+={0,2}$")
    key_fingerprint: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Fa-f-]+$")


# Desk names: printable, at least one visible character, short enough for a list row.
MAX_DESK_NAME = 60
TEST_PROMPT_MAX_AMOUNT = 100


class TestPromptRequest(JsonRequest):
    """The owner's test prompt: a phone the owner holds, KES 1 unless told otherwise."""

    phone_number: str = Field(max_length=32, pattern=PHONE_PATTERN, examples=["0712 345 678"])
    amount: Annotated[int, BeforeValidator(whole_number)] = Field(
        default=1, ge=MIN_AMOUNT, le=TEST_PROMPT_MAX_AMOUNT
    )


class DeskCreate(JsonRequest):
    """A new attendant desk and the name it is listed under."""

    name: str = Field(min_length=1, max_length=MAX_DESK_NAME, pattern=SHORT_TEXT)


class DeskRename(JsonRequest):
    """A desk's new name."""

    name: str = Field(min_length=1, max_length=MAX_DESK_NAME, pattern=SHORT_TEXT)
