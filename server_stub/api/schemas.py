"""Request and response bodies of the JSON API, as published in the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

# Re-exported: the routes build their answers with these.
from server_stub.store.feed_items import iso_time as iso_time
from server_stub.store.feed_items import payment_fields as payment_fields
from server_stub.store.records import PaymentRecord


class ErrorDetail(BaseModel):
    """What went wrong, in a sentence a person can act on."""

    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    """Every refusal: a 4xx/5xx status and this body."""

    success: Literal[False] = False
    error: ErrorDetail


class InitiateResponse(BaseModel):
    """Daraja accepted the push; watch it with status or the payment feed."""

    success: bool
    checkout_request_id: str
    merchant_request_id: str | None
    customer_message: str
    status: str


class SentBy(BaseModel):
    """The desk (token) that sent a push, by the name it had then."""

    token_id: int
    name: str


class DeliveryItem(BaseModel):
    """One mechanism's delivery of an access (RADIUS, MikroTik)."""

    mechanism: str
    # `remove` takes a revoked access off the network again (DESIGN.md section 13, "Disputes").
    action: Literal["add", "remove"]
    state: str
    attempts: int
    last_error: str | None
    next_try_at: str | None


class AccessItem(BaseModel):
    """What the payment gives the customer: a code or a voucher, and how long it lasts."""

    code: str
    plan_id: int | None
    starts_at: str
    expires_at: str | None
    state: Literal["issued", "delivered", "failed", "revoked"]
    voucher: bool
    deliveries: list[DeliveryItem]


class PlanTerms(BaseModel):
    """The plan's terms as they were when the payment was made."""

    id: int
    name: str
    price: int
    duration_minutes: int
    data_cap_mb: int | None
    speed: str | None
    router_profile: str | None


class PaymentItem(BaseModel):
    """One STK push and how it ended."""

    checkout_request_id: str
    merchant_request_id: str | None
    status: str
    phone_number: str
    amount: int
    account_reference: str
    transaction_desc: str
    mpesa_receipt_number: str | None
    result_code: str | None
    result_desc: str | None
    resolved_by: Literal["callback", "query"] | None
    created_at: str
    updated_at: str
    seq: int
    purpose: Literal["sale", "test"] = "sale"
    sent_by: SentBy | None = None
    plan_id: int | None = None
    plan: PlanTerms | None = None
    confirmation: Literal["pending", "confirmed", "not_needed"] | None = None
    # Why a paid payment could not be confirmed (a person must look), or null.
    confirmation_problem: str | None = None
    access: AccessItem | None = None

    @classmethod
    def of(cls, payment: PaymentRecord) -> PaymentItem:
        """The public view of a stored payment."""
        return cls(**payment_fields(payment))


class StatusResponse(PaymentItem):
    """The payment, flat, with the success flag."""

    success: bool


class PaymentsPage(BaseModel):
    """Changes after the cursor, oldest first; ask again with `cursor`."""

    items: list[PaymentItem]
    cursor: int
    # The store's identity and the provider's last seq: a desk whose store_id differs, or whose
    # cursor is above head, reloads from zero (the relay's database was restored or replaced).
    store_id: str
    head: int
    # Changes with every plan write: reload the plans when it differs from the last seen.
    plans_version: int = 0


class CredentialsSummary(BaseModel):
    """The masked view of a provider's credentials: never a secret."""

    success: bool
    provider_id: int
    provider_name: str
    configured: bool
    shortcode: str | None
    environment: str | None
    account_type: str | None
    till_number: str | None
    verified: bool
    last_test: str | None
    test_status: str | None
    callback_url: str
    # When Daraja accepted the owner's test prompt with these credentials (null: the shortcode
    # and passkey are not proven yet; Verify checks the consumer key and secret only).
    prompt_proven_at: str | None = None
    # When these credentials reached the relay, and their digest (`DarajaCredentials.digest`).
    pushed_at: str | None = None
    credentials_digest: str | None = None


class CheckResult(BaseModel):
    """One setup check."""

    name: str
    ok: bool
    message: str


class TestCredentialsResponse(BaseModel):
    """Outcome of the setup test; `success` means Daraja accepted the credentials."""

    success: bool
    message: str
    status: Literal["passed", "warning", "failed"]
    tested_at: str
    checks: list[CheckResult]


class RelayKeyResponse(BaseModel):
    """The relay's X25519 public key (base64) and its short fingerprint."""

    public_key: str
    fingerprint: str


class HealthResponse(BaseModel):
    """Liveness and store health; `nonce_ok` answers the relay's own reachability check."""

    status: Literal["ok", "degraded"]
    store: Literal["ok", "unavailable"]
    version: str
    store_id: str
    schema_version: int
    database: str
    nonce_ok: bool | None = None


class CallbackAck(BaseModel):
    """What Safaricom expects back."""

    ResultCode: int
    ResultDesc: str


class MeResponse(BaseModel):
    """Who this token is: the desk uses it instead of guessing the role from a 403."""

    role: Literal["owner", "attendant", "admin"]
    # Null for a platform administrator, who belongs to no provider.
    provider_id: int | None
    provider_name: str | None
    token_id: int
    name: str


class DeskItem(BaseModel):
    """One of the provider's tokens (a desk); never the token itself."""

    token_id: int
    name: str
    role: Literal["owner", "attendant"]
    created_at: str
    last_used_at: str | None
    last_address: str | None
    this_desk: bool


class DesksPage(BaseModel):
    """The provider's desks that are not revoked, oldest first."""

    items: list[DeskItem]


class DeskCreated(DeskItem):
    """A new desk with its token: shown once, never again."""

    token: str


class DeskChanged(BaseModel):
    """The outcome of a rename or a revoke."""

    success: bool
    token_id: int
    name: str
    revoked: bool
