"""The one interface every store backend implements (SQLite built in; PostgreSQL could follow).

Writes return only after they are durable. Payment changes go through the pure decisions of
`server_stub.payments.settlement`, so every backend settles pushes by the same rules. A write
given `audit=` stores its audit entry in its own transaction (`server_stub.audit.entries.Audit`):
the only way entries are written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from server_stub.access.outbox import OutboxStore
from server_stub.access.voucher_csv import Voucher
from server_stub.audit.entries import Audit, AuditEntry
from server_stub.payments.settlement import CallbackOutcome, StkResult
from server_stub.plans.rules import PlanFields
from server_stub.platform.health import HealthWindow, ProviderHealth
from server_stub.store.records import (
    AccessChange,
    CreatedProvider,
    DeliveryTerms,
    EncryptedCredentials,
    NewPush,
    NewToken,
    PaymentRecord,
    PlanRecord,
    ProviderRecord,
    RawCallback,
    Removal,
    Reservation,
    Role,
    TokenRecord,
    VoucherImport,
)


class PlanStore(Protocol):
    """A provider's plans; every write bumps its plans version."""

    async def list(self, provider_id: int, *, archived: bool) -> list[PlanRecord]:
        """The provider's plans, oldest first: current ones, or archived ones."""

    async def get(self, provider_id: int, plan_id: int) -> PlanRecord | None:
        """One plan of this provider, or None."""

    async def version(self, provider_id: int) -> int:
        """Bumped by every plan write."""

    async def vouchers_left(self, provider_id: int) -> dict[int, tuple[int, int]]:
        """(unused, imported) vouchers per plan id; plans without a pool are absent."""

    async def create(
        self,
        provider_id: int,
        fields: PlanFields,
        now: float,
        *,
        audit: Audit[PlanRecord] | None = None,
    ) -> PlanRecord:
        """A new plan."""

    async def update(
        self,
        provider_id: int,
        plan_id: int,
        fields: PlanFields,
        archived: bool | None,
        now: float,
        *,
        audit: Audit[PlanRecord] | None = None,
    ) -> PlanRecord | None:
        """Change a plan; None if not found."""

    async def add_vouchers(
        self,
        provider_id: int,
        plan_id: int,
        vouchers: Sequence[Voucher],
        now: float,
        *,
        audit: Audit[VoucherImport] | None = None,
    ) -> VoucherImport | None:
        """Add vouchers to a plan's pool in one transaction; None if the plan is not found."""

    async def remove(
        self, provider_id: int, plan_id: int, now: float, *, audit: Audit[Removal] | None = None
    ) -> Removal | None:
        """Archive a plan in use, delete one never used; None if not found."""


class AuditStore(Protocol):
    """The append-only audit log, read here; written only by audited writes (`audit=`)."""

    async def entries(
        self,
        *,
        provider_id: int | None = None,
        action: str | None = None,
        after: int = 0,
        before: int | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Entries matching the filters, newest first; `action` "plan" matches "plan.*"."""


class PlatformStore(Protocol):
    """What platform administrators read and change across providers."""

    async def health(self, window: HealthWindow) -> list[ProviderHealth]:
        """Every provider's health in a fixed number of queries."""

    async def disabled_at(self, provider_id: int) -> float | None:
        """When the provider was disabled, or None while it may take payments."""

    async def set_disabled(
        self, provider_id: int, at: float | None, *, audit: Audit[bool] | None = None
    ) -> bool | None:
        """Disable or enable (None); None if no such provider, else whether it changed."""

    async def add_admin_token(
        self, token_hash: str, name: str, created_at: float, *, audit: Audit[int] | None = None
    ) -> int:
        """Store a platform administrator's token hash; returns its id."""

    async def token(self, token_id: int) -> TokenRecord | None:
        """Any token by its id (revoked ones too), or None."""


class MechanismStore(Protocol):
    """Which network access mechanisms each provider has switched on."""

    async def enabled(self, provider_id: int) -> list[str]:
        """The network mechanisms the provider has switched on."""

    async def set_enabled(
        self,
        provider_id: int,
        mechanism: str,
        enabled: bool,
        now: float,
        router_identity: str | None = None,
    ) -> None:
        """Switch a mechanism on or off for the provider (MikroTik: bound to one router)."""

    async def change_settings(
        self,
        provider_id: int,
        change: AccessChange,
        now: float,
        *,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Apply an owner's access settings together, in one transaction (always True)."""

    async def router_identity(self, provider_id: int) -> str | None:
        """The identity of the router the provider's MikroTik deliveries are bound to."""

    async def delivery_attempts(self, provider_id: int, delivery_id: int) -> int | None:
        """How many attempts a delivery of this provider has had; None when it is not theirs."""

    async def delivery_terms(self, access_id: int) -> DeliveryTerms | None:
        """What a delivery of this access puts on the network (None: no plan)."""


class Store(Protocol):
    """Providers, tokens, payments and raw callbacks."""

    # The identity (a uuid4, changed by a restore) and schema version of the open database.
    store_id: str
    schema_version: int

    @property
    def plans(self) -> PlanStore:
        """The providers' plans."""

    @property
    def audit(self) -> AuditStore:
        """The audit log."""

    @property
    def platform(self) -> PlatformStore:
        """Platform administration across providers."""

    @property
    def mechanisms(self) -> MechanismStore:
        """The providers' network access mechanisms."""

    @property
    def outbox(self) -> OutboxStore:
        """The delivery outbox (leases, reports)."""

    # Whether other relay instances may write to the same database (PostgreSQL).
    shared: bool

    def lead(self, task: str) -> bool:
        """Whether this instance runs the periodic `task` now (one leader per database)."""

    def share_changes(self, notify: Callable[[int], None]) -> Callable[[int], None] | None:
        """Hear other instances' feed changes through `notify`; returns the publisher of this
        instance's changes, or None when no other instance can share the database."""

    async def limit_wait(
        self, kind: str, key: str, limit: int, window_s: float, now: float
    ) -> float:
        """Seconds until `key` may act again under a limit shared by instances; 0 if now."""

    async def limit_record(self, kind: str, key: str, window_s: float, now: float) -> None:
        """Count one event of a limit shared by instances."""

    async def add_nonce(self, nonce: str, expires_at: float, now: float) -> None:
        """Keep a one-time nonce every instance can check."""

    async def take_nonce(self, nonce: str, now: float) -> bool:
        """True once for a kept, unexpired nonce."""

    async def close(self) -> None:
        """Finish pending writes and release the database."""

    async def healthy(self) -> bool:
        """The database answers a trivial query."""

    async def create_provider(self, name: str, created_at: float) -> int:
        """A new provider; returns its id."""

    async def create_provider_with_tokens(
        self,
        name: str,
        created_at: float,
        new_tokens: Sequence[NewToken],
        *,
        audit: Audit[CreatedProvider] | None = None,
    ) -> CreatedProvider:
        """A new provider with its first tokens, in one transaction."""

    async def get_provider(self, provider_id: int) -> ProviderRecord | None:
        """One provider, or None."""

    async def save_credentials(
        self,
        provider_id: int,
        credentials: EncryptedCredentials,
        callback_url: str,
        *,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Replace a provider's credentials (clears verification); False if no such provider."""

    async def record_credentials_test(
        self,
        provider_id: int,
        *,
        verified: bool,
        tested_at: float,
        status: str,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Keep the outcome of a credentials test; False when there is no such provider."""

    async def reencrypt_secrets(
        self, rotate: Callable[[bytes], bytes], *, audit: Audit[int] | None = None
    ) -> int:
        """Pass every encrypted value through `rotate` in one transaction; returns the count."""

    async def secret_setting(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The stored (encrypted) value `name`, created with `make` on first use."""

    async def push_limit(self, provider_id: int) -> int | None:
        """The provider's own STK pushes-per-minute limit, or None for the relay's default."""

    async def set_push_limit(
        self, provider_id: int, per_minute: int | None, *, audit: Audit[bool] | None = None
    ) -> bool:
        """Set (None: clear) the provider's push limit; False when there is no such provider."""

    async def access_at_callback(self, provider_id: int) -> bool:
        """Whether the provider gives access at the callback, before confirmation."""

    async def set_access_at_callback(self, provider_id: int, enabled: bool) -> None:
        """Switch access at the callback on or off for the provider."""

    async def callback_token_known(self, token_hash: str) -> bool:
        """Whether a push was made with this callback token."""

    async def add_token(
        self,
        token_hash: str,
        provider_id: int,
        role: Role,
        created_at: float,
        name: str = "",
        *,
        audit: Audit[int] | None = None,
    ) -> int:
        """Store a new token's hash (an empty name becomes the role's); returns its id."""

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, or None."""

    async def provider_tokens(self, provider_id: int) -> list[TokenRecord]:
        """The provider's tokens that are not revoked, oldest first."""

    async def rename_token(
        self, provider_id: int, token_id: int, name: str, *, audit: Audit[bool] | None = None
    ) -> bool:
        """Rename one of the provider's tokens; False when it has no such live token."""

    async def revoke_token_id(
        self,
        provider_id: int,
        token_id: int,
        revoked_at: float,
        *,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Revoke one of the provider's tokens; False when it has no such live token."""

    async def touch_token(self, token_id: int, used_at: float, address: str) -> None:
        """Note when and from where a token was last used."""

    async def mark_prompt_proven(self, provider_id: int, at: float) -> None:
        """Daraja accepted a test prompt sent with the provider's current credentials."""

    async def revoke_token(
        self, token_hash: str, revoked_at: float, *, audit: Audit[bool] | None = None
    ) -> bool:
        """Revoke a token; False when no such token exists."""

    async def reserve_push(self, push: NewPush, guard_since: float) -> Reservation:
        """Reserve a push unless its Idempotency-Key or a recent push to the phone answers it."""

    async def confirm_push(
        self,
        payment_id: int,
        *,
        checkout_request_id: str,
        merchant_request_id: str,
        first_query_at: float,
        now: float,
    ) -> PaymentRecord:
        """Daraja accepted the push: record its ids and give it a place in the feed."""

    async def discard_push(self, payment_id: int) -> None:
        """Daraja refused the push: forget the reservation."""

    async def get_payment(self, provider_id: int, checkout_request_id: str) -> PaymentRecord | None:
        """One accepted push of this provider, or None."""

    def observe_commits(self, observe: Callable[[float], None]) -> None:
        """Tell `observe` how long each durable commit took."""

    async def reconcile_backlog(self) -> tuple[int, float | None]:
        """Pushes still due a status query, and the creation time of the oldest of them."""

    async def feed_head(self, provider_id: int) -> int:
        """The provider's last feed sequence number (0 before its first payment)."""

    async def feed_items_after(
        self, provider_id: int, after_seq: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """`(seq, feed item JSON)` of the provider's changes after `after_seq`, oldest first.

        The item is the payment as of its feed number: rendered when that change committed.
        """
        ...

    async def feed_chunk(
        self, provider_id: int, after_seq: int, upto_seq: int, limit: int
    ) -> tuple[int, int, bytes]:
        """Up to `limit` items with `after_seq < seq <= upto_seq`, comma-joined, oldest first.

        Returns (last seq read, how many, the joined items): a feed page or a snapshot line.
        """
        ...

    async def payments_after(
        self, provider_id: int, after_seq: int, limit: int
    ) -> list[PaymentRecord]:
        """The provider's payments changed after cursor `after_seq`, oldest change first."""

    async def ingest_callback(
        self,
        raw: RawCallback,
        *,
        provider_id: int | None,
        result: StkResult | None,
        rejection: CallbackOutcome | None,
        confirm_after_s: float,
    ) -> tuple[CallbackOutcome, int | None]:
        """Store a raw callback and apply it; returns the outcome and the provider it changed.

        A push a callback settles as paid is confirmed by a query from `confirm_after_s` after
        the callback (and gets its access at once when the provider chose so).
        """

    async def due_for_query(self, now: float, limit: int) -> list[PaymentRecord]:
        """Pending pushes whose next reconciliation query is due."""

    async def next_query_due(self) -> float | None:
        """When the earliest scheduled query is due, or None."""

    async def apply_query(
        self,
        payment_id: int,
        result: StkResult | None,
        *,
        next_query_at: float | None,
        now: float,
        problem: str | None = None,
    ) -> PaymentRecord | None:
        """Record a query (None: no answer yet) and reschedule; returns the row if it changed.

        A pending push is settled; a paid one awaiting confirmation is confirmed (with its
        access) or disputed; `problem` flags a confirmation that cannot go on.
        """
