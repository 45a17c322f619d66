"""Values the relay returns (DESIGN.md section 4), parsed leniently: unknown fields are ignored,
missing optional ones become None, and anything unreadable raises one readable error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bucket_desktop.i18n import _
from bucket_desktop.services.access.models import Access, confirmation_of, plan_name_of
from bucket_desktop.services.json_values import int_value as _int
from bucket_desktop.services.json_values import text_value as _text_value
from bucket_desktop.services.relay_errors import RelayUnexpectedResponse


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a token signs in as."""

    role: str  # "owner", "attendant" or "admin" (a platform administrator, no provider)
    provider_name: str | None
    provider_id: str | None
    token_id: int | None = None
    name: str | None = None  # the desk's name, as the owner gave it

    @property
    def is_owner(self) -> bool:
        """True for the owner's token."""
        return self.role == "owner"

    @property
    def is_admin(self) -> bool:
        """True for a platform administrator's token."""
        return self.role == "admin"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Identity:
        """Read the answer to /me/."""
        role = _text(data, "role")
        if role not in ("owner", "attendant", "admin"):
            raise _unreadable(_("The relay did not say what this token may do."))
        return cls(
            role=role,
            provider_name=_text(data, "provider_name"),
            provider_id=_text(data, "provider_id"),
            token_id=_int(data.get("token_id")),
            name=_text(data, "name"),
        )


@dataclass(frozen=True, slots=True)
class Desk:
    """One of the provider's desks (an API token), as the owner sees it; never the token."""

    token_id: int
    name: str
    role: str
    created_at: str | None
    last_used_at: str | None
    last_address: str | None
    this_desk: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Desk:
        """Read one desk."""
        token_id = _int(data.get("token_id"))
        if token_id is None:
            raise _unreadable(_("A desk from the relay has no ID."))
        return cls(
            token_id=token_id,
            name=_text(data, "name") or "",
            role=_text(data, "role") or "attendant",
            created_at=_text(data, "created_at"),
            last_used_at=_text(data, "last_used_at"),
            last_address=_text(data, "last_address"),
            this_desk=data.get("this_desk") is True,
        )


@dataclass(frozen=True, slots=True)
class NewDesk:
    """A desk just added, with its token: shown once, never again."""

    desk: Desk
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class RelayKey:
    """The relay's public key for sealing, with its fingerprint as computed here."""

    public_key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class CredentialsSummary:
    """The masked view of the credentials stored on the relay; never a secret."""

    configured: bool
    shortcode: str | None
    environment: str | None
    account_type: str | None
    till_number: str | None
    verified: bool
    last_test: str | None
    test_status: str | None
    callback_url: str | None
    provider_name: str | None
    provider_id: str | None
    prompt_proven_at: str | None = None  # when a test prompt proved shortcode and passkey
    pushed_at: str | None = None
    credentials_digest: str | None = None  # `DarajaCredentials.digest` of what the relay holds

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CredentialsSummary:
        """Read the summary, whether or not it is wrapped in {"credentials": ...}."""
        inner = data.get("credentials")
        body = inner if isinstance(inner, dict) else data
        shortcode = _text(body, "shortcode") or _text(body, "mpesa_shortcode")
        configured = body.get("configured")
        return cls(
            configured=bool(configured) if configured is not None else shortcode is not None,
            shortcode=shortcode,
            environment=_text(body, "environment") or _text(body, "mpesa_environment"),
            account_type=_text(body, "account_type"),
            till_number=_text(body, "till_number"),
            verified=bool(body.get("verified", body.get("mpesa_credentials_verified", False))),
            last_test=_text(body, "last_test") or _text(body, "mpesa_last_test"),
            test_status=_text(body, "test_status") or _text(body, "mpesa_test_status"),
            callback_url=_text(body, "callback_url") or _text(data, "callback_url"),
            provider_name=_text(body, "provider_name") or _text(data, "provider_name"),
            provider_id=_text(body, "provider_id") or _text(data, "provider_id"),
            prompt_proven_at=_text(body, "prompt_proven_at"),
            pushed_at=_text(body, "pushed_at"),
            credentials_digest=_text(body, "credentials_digest"),
        )


@dataclass(frozen=True, slots=True)
class VerificationCheck:
    """One check of the relay's credentials test."""

    name: str
    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The relay's answer to test-credentials."""

    success: bool
    message: str
    status: str | None
    tested_at: str | None
    checks: tuple[VerificationCheck, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerificationResult:
        """Read the result."""
        raw_checks = data.get("checks")
        checks = tuple(
            VerificationCheck(
                name=str(item.get("name", "")),
                ok=bool(item.get("ok")),
                message=str(item.get("message", "")),
            )
            for item in (raw_checks if isinstance(raw_checks, list) else [])
            if isinstance(item, dict)
        )
        return cls(
            success=bool(data.get("success")),
            message=_text(data, "message") or "",
            status=_text(data, "status"),
            tested_at=_text(data, "tested_at"),
            checks=checks,
        )


@dataclass(frozen=True, slots=True)
class InitiatedPush:
    """The relay accepted an STK push."""

    checkout_request_id: str
    merchant_request_id: str | None
    customer_message: str | None
    status: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InitiatedPush:
        """Read the answer to initiate."""
        checkout = _text(data, "checkout_request_id")
        if checkout is None:
            raise _unreadable(_("The relay's answer has no checkout request ID."))
        return cls(
            checkout_request_id=checkout,
            merchant_request_id=_text(data, "merchant_request_id"),
            customer_message=_text(data, "customer_message"),
            status=_text(data, "status") or "pending",
        )


@dataclass(slots=True)
class PaymentItem:
    """One payment (an STK push and what became of it); nothing changes an item once read.

    Not frozen: a frozen dataclass sets each field through object.__setattr__, which made
    building one ten times dearer, and a new desk builds 100,000 of these as it catches up.
    """

    checkout_request_id: str
    merchant_request_id: str | None
    status: str
    phone_number: str | None
    amount: int | None
    account_reference: str | None
    transaction_desc: str | None
    mpesa_receipt_number: str | None
    result_code: str | None
    result_desc: str | None
    resolved_by: str | None
    created_at: str | None
    updated_at: str | None
    seq: int | None
    purpose: str = "sale"  # "test": the owner's test prompt, never counted as a sale
    sent_by: str | None = None  # the name of the desk that sent the push
    plan_name: str = ""  # from the plan terms the payment keeps ("" without a plan)
    confirmation: str | None = None  # pending, confirmed, not_needed (DESIGN.md section 13)
    confirmation_problem: str | None = None  # why confirming needs a person, if it does
    access: Access | None = None

    @property
    def is_test(self) -> bool:
        """The owner's test prompt, not a sale."""
        return self.purpose == "test"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PaymentItem:
        """Read one payment item.

        A new desk reads its whole history through here (100,000 items in a catch-up), so each
        field is fetched once and read by one small function, with the common cases first.
        """
        get = data.get
        checkout = _text_value(get("checkout_request_id"))
        status = _text_value(get("status"))
        if checkout is None or status is None:
            raise _unreadable(_("A payment from the relay has no ID or status."))
        result_code = get("result_code")
        sender = get("sent_by")
        plan = get("plan")
        access = get("access")
        return cls(
            checkout,
            _text_value(get("merchant_request_id")),
            status,
            _text_value(get("phone_number")),
            _int(get("amount")),
            _text_value(get("account_reference")),
            _text_value(get("transaction_desc")),
            _text_value(get("mpesa_receipt_number")),
            None if result_code is None else str(result_code),
            _text_value(get("result_desc")),
            _text_value(get("resolved_by")),
            _text_value(get("created_at")),
            _text_value(get("updated_at")),
            _int(get("seq")),
            "test" if get("purpose") == "test" else "sale",
            _text(sender, "name") if isinstance(sender, dict) else None,
            "" if plan is None else plan_name_of(plan),
            confirmation_of(get("confirmation")),
            _text_value(get("confirmation_problem")),
            None if access is None else Access.from_json(access),
        )


@dataclass(frozen=True, slots=True)
class PaymentsPage:
    """A page of the payment feed and the cursor to ask from next."""

    items: tuple[PaymentItem, ...]
    cursor: int
    # The relay's store identity and the provider's last seq (None from an older relay).
    store_id: str | None = None
    head: int | None = None
    plans_version: int | None = None  # bumped by every plan write (DESIGN.md section 13)

    @classmethod
    def from_json(cls, data: dict[str, Any], after: int) -> PaymentsPage:
        """Read a feed page; the cursor never goes backwards."""
        raw = data.get("items")
        if not isinstance(raw, list):
            raise _unreadable(_("The relay's payment feed has no items list."))
        items = tuple(PaymentItem.from_json(item) for item in raw if isinstance(item, dict))
        cursor = _int(data.get("cursor"))
        store_id = data.get("store_id")
        return cls(
            items=items,
            cursor=max(after, cursor if cursor is not None else after),
            store_id=store_id if isinstance(store_id, str) and store_id else None,
            head=_int(data.get("head")),
            plans_version=_int(data.get("plans_version")),
        )


def _text(data: dict[str, Any], name: str) -> str | None:
    return _text_value(data.get(name))


def _unreadable(message: str) -> RelayUnexpectedResponse:
    return RelayUnexpectedResponse(message, code="bad_response")
