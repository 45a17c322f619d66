"""Plain values the store reads and writes; no behaviour, no secrets in reprs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from bucket_desktop.services.mpesa_rules import PaymentStatus


class Role(StrEnum):
    """What a token may do: owners manage credentials, attendants charge customers, platform
    administrators look after every provider (and act as none of them)."""

    OWNER = "owner"
    ATTENDANT = "attendant"
    ADMIN = "admin"


class Purpose(StrEnum):
    """Why a push was sent: a sale at the counter, or the owner's test of the credentials."""

    SALE = "sale"
    TEST = "test"


class Confirmation(StrEnum):
    """Whether a paid callback was confirmed by an STK query (DESIGN.md section 13)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    NOT_NEEDED = "not_needed"


class AccessState(StrEnum):
    """Where a payment's access stands."""

    ISSUED = "issued"
    DELIVERED = "delivered"
    FAILED = "failed"
    REVOKED = "revoked"


class ResolvedBy(StrEnum):
    """Which source settled a push."""

    CALLBACK = "callback"
    QUERY = "query"


@dataclass(frozen=True, slots=True)
class EncryptedCredentials:
    """A provider's Daraja credentials with the three secrets encrypted at rest."""

    consumer_key: bytes = field(repr=False)
    consumer_secret: bytes = field(repr=False)
    passkey: bytes = field(repr=False)
    shortcode: str
    environment: str
    account_type: str
    till_number: str | None
    # `credentials_digest` of what was stored: the desk compares it with its form to show
    # unpushed changes (the secrets themselves never leave the relay).
    digest: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class ProviderRecord:
    """A hotspot provider and the state of its credentials."""

    id: int
    name: str
    created_at: float
    credentials: EncryptedCredentials | None
    callback_url: str | None
    credentials_verified: bool
    last_test: float | None
    test_status: str | None
    # When Daraja last accepted a test prompt sent with the credentials stored now: the only
    # proof that the shortcode and passkey match (Daraja checks them on an STK push alone).
    prompt_proven_at: float | None = None
    credentials_saved_at: float | None = None


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token (a desk, or a platform administrator), found by its hash or its id."""

    provider_id: int | None  # None only for an admin
    role: Role
    revoked: bool
    id: int = 0
    name: str = ""
    created_at: float = 0.0
    last_used_at: float | None = None
    last_address: str | None = None


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token to store with a new provider (its hash; the token itself is shown once)."""

    token_hash: str = field(repr=False)
    role: Role
    name: str = ""  # empty: the role's name, as `Store.add_token` gives


@dataclass(frozen=True, slots=True)
class CreatedProvider:
    """A new provider's id and the ids of the tokens made with it, in the order given."""

    provider_id: int
    token_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class AccessChange:
    """An owner's change of access settings; None keeps a setting as it is."""

    access_at_callback: bool | None = None
    radius_enabled: bool | None = None
    mikrotik_enabled: bool | None = None
    router_identity: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One attempt line of the outbox: a mechanism delivering (or removing) an access."""

    id: int
    mechanism: str
    action: str
    state: str
    attempts: int
    last_error: str | None
    next_try_at: float | None


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery leased to one worker until `lease_until`."""

    delivery_id: int
    lease_id: str = field(repr=False)
    lease_until: float
    action: str
    access_id: int
    provider_id: int
    code: str
    plan_id: int | None
    expires_at: float | None
    attempts: int


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """What a paid payment gives: a code (or a voucher), its plan and validity."""

    id: int
    code: str
    plan_id: int | None
    starts_at: float
    expires_at: float | None
    state: AccessState
    voucher: bool
    deliveries: tuple[DeliveryRecord, ...] = ()


# What removing a plan did: a plan in use is archived, one never used is deleted.
Removal = Literal["archived", "deleted"]


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """A provider's plan; a plan in use is archived, never deleted."""

    id: int
    provider_id: int
    name: str
    price: int
    duration_minutes: int
    data_cap_mb: int | None
    speed: str | None
    router_profile: str | None
    account_reference: str
    transaction_desc: str
    archived: bool

    def terms(self) -> dict[str, object]:
        """What a payment keeps of the plan it was sold on."""
        return {
            "id": self.id,
            "name": self.name,
            "price": self.price,
            "duration_minutes": self.duration_minutes,
            "data_cap_mb": self.data_cap_mb,
            "speed": self.speed,
            "router_profile": self.router_profile,
        }


@dataclass(frozen=True, slots=True)
class VoucherImport:
    """How many vouchers were added, skipped as already in a pool, and are left unused."""

    added: int
    duplicates: int
    remaining: int


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """One STK push and how it ended."""

    id: int
    provider_id: int
    checkout_request_id: str | None
    merchant_request_id: str | None
    status: PaymentStatus
    phone_number: str
    amount: int
    account_reference: str
    transaction_desc: str
    mpesa_receipt_number: str | None
    result_code: str | None
    result_desc: str | None
    resolved_by: ResolvedBy | None
    created_at: float
    updated_at: float
    seq: int | None
    idempotency_key: str | None
    query_attempts: int
    next_query_at: float | None
    purpose: Purpose = Purpose.SALE
    sent_by_token_id: int | None = None
    sent_by_name: str | None = None
    plan_id: int | None = None
    # The plan's terms as sold (JSON text, so the record stays hashable for the feed's cache).
    plan_terms: str | None = None
    confirmation: Confirmation | None = None
    confirm_attempts: int = 0
    confirm_problem: str | None = None
    confirm_from: float | None = None
    # Part of the record, so the feed's cache key changes whenever the access does.
    access: AccessRecord | None = None

    @property
    def accepted(self) -> bool:
        """Daraja accepted the push (it has a place in the feed)."""
        return self.seq is not None


@dataclass(frozen=True, slots=True)
class NewPush:
    """A push about to be sent to Daraja, reserved before the call."""

    provider_id: int
    callback_token_hash: str = field(repr=False)
    idempotency_key: str | None
    phone_number: str
    amount: int
    account_reference: str
    transaction_desc: str
    created_at: float
    purpose: Purpose = Purpose.SALE
    sent_by_token_id: int | None = None
    sent_by_name: str | None = None
    plan_id: int | None = None
    plan_terms: str | None = None


@dataclass(frozen=True, slots=True)
class Reservation:
    """Result of reserving a push: the new row, or the push that blocks or answers it."""

    created: PaymentRecord | None = None
    same_key: PaymentRecord | None = None
    recent_to_phone: PaymentRecord | None = None


# Anyone can post to a callback address: of a callback whose token matches no push only this
# much is stored, so junk cannot fill the disk (issue 11); ours are kept whole.
UNMATCHED_BODY_PREFIX = 2048


@dataclass(frozen=True, slots=True)
class RawCallback:
    """A callback as it arrived; the per-push token is kept only as its hash."""

    received_at: float
    provider_ref: str
    token_hash: str = field(repr=False)
    source_address: str
    body: bytes = field(repr=False)


# The network access mechanisms a provider can switch on (DESIGN.md section 9).
RADIUS = "radius"
MIKROTIK = "mikrotik"
NETWORK_MECHANISMS = (RADIUS, MIKROTIK)


@dataclass(frozen=True, slots=True)
class DeliveryTerms:
    """What a delivery puts on the network: the code and the terms the payment was sold on."""

    access_id: int
    provider_id: int
    code: str
    starts_at: float
    expires_at: float
    plan_id: int | None
    duration_minutes: int
    speed: str | None
    router_profile: str | None
    data_cap_mb: int | None
