"""Starting STK pushes and reporting their status, with the one-minute same-phone guard."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bucket_desktop.services.credentials import DarajaCredentials
from bucket_desktop.services.daraja_client import DarajaClient, StkPushAccepted
from bucket_desktop.services.daraja_errors import (
    DarajaError,
    DarajaRateLimited,
    DarajaSubscriberBusy,
    DarajaUnavailable,
)
from bucket_desktop.services.mpesa_rules import (
    PaymentStatus,
    RuleError,
    normalise_phone,
    validate_account_reference,
    validate_amount,
    validate_transaction_desc,
)
from server_stub.errors import RelayError
from server_stub.operations.metrics import RelayMetrics
from server_stub.payments.feed import FeedNotifier
from server_stub.payments.reconcile import Reconciler
from server_stub.plans.charging import plan_terms
from server_stub.security.tokens import new_token, token_hash
from server_stub.security.vault import CredentialVault
from server_stub.store.protocol import Store
from server_stub.store.records import NewPush, PaymentRecord, PlanRecord, Purpose

log = logging.getLogger(__name__)

SAME_PHONE_GUARD_S = 60.0


@dataclass(frozen=True, slots=True)
class PushRequest:
    """A validated request to charge a customer."""

    phone_number: str
    amount: int
    account_reference: str
    transaction_desc: str
    plan_id: int | None = None
    plan_terms: str | None = None

    @classmethod
    def validate(
        cls,
        phone_number: str,
        amount: object,
        account_reference: str,
        transaction_desc: str,
        plan: PlanRecord | None = None,
    ) -> PushRequest:
        """Apply the M-PESA rules; RelayError 400 naming the field on any refusal."""
        try:
            return cls(
                phone_number=normalise_phone(phone_number),
                amount=validate_amount(amount),
                account_reference=validate_account_reference(account_reference),
                transaction_desc=validate_transaction_desc(transaction_desc),
                plan_id=plan.id if plan else None,
                plan_terms=plan_terms(plan),
            )
        except RuleError as error:
            raise RelayError(error.message, code="invalid", field=error.field) from None

    def matches(self, payment: PaymentRecord) -> bool:
        """The same charge as an earlier push (for a repeated Idempotency-Key)."""
        return (self.phone_number, self.amount, self.account_reference) == (
            payment.phone_number,
            payment.amount,
            payment.account_reference,
        )


@dataclass(frozen=True, slots=True)
class Sender:
    """The desk (token) sending a push, recorded with it."""

    token_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Initiated:
    """An accepted push and Daraja's message for the customer."""

    payment: PaymentRecord
    customer_message: str


class PushService:
    """Initiates pushes with a provider's own credentials and answers status questions."""

    def __init__(
        self,
        store: Store,
        vault: CredentialVault,
        daraja: DarajaClient,
        notifier: FeedNotifier,
        reconciler: Reconciler,
        clock: Callable[[], float],
        metrics: RelayMetrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._store = store
        self._vault = vault
        self._daraja = daraja
        self._notifier = notifier
        self._reconciler = reconciler
        self._clock = clock

    async def initiate(
        self,
        provider_id: int,
        request: PushRequest,
        idempotency_key: str | None,
        *,
        sender: Sender | None = None,
        purpose: Purpose = Purpose.SALE,
    ) -> Initiated:
        """Send the prompt unless the guard or the Idempotency-Key answers instead.

        A test prompt that Daraja accepts proves the stored shortcode and passkey match: Daraja
        checks them on an STK push and nowhere else.
        """
        provider = await self._store.get_provider(provider_id)
        if provider is None:
            raise RelayError("This provider no longer exists.", code="not_found", status=404)
        credentials = self._vault.open(provider)
        callback_token = new_token()
        now = self._clock()
        reservation = await self._store.reserve_push(
            NewPush(
                provider_id=provider_id,
                callback_token_hash=token_hash(callback_token),
                idempotency_key=idempotency_key,
                phone_number=request.phone_number,
                amount=request.amount,
                account_reference=request.account_reference,
                transaction_desc=request.transaction_desc,
                created_at=now,
                purpose=purpose,
                sent_by_token_id=sender.token_id if sender else None,
                sent_by_name=sender.name if sender else None,
                plan_id=request.plan_id,
                plan_terms=request.plan_terms,
            ),
            guard_since=now - SAME_PHONE_GUARD_S,
        )
        if reservation.created is None:
            return _answer_existing(request, reservation.same_key, reservation.recent_to_phone, now)
        callback_url = self._vault.callback_base(provider_id) + callback_token + "/"
        accepted = await self._send(reservation.created, credentials, request, callback_url)
        if purpose is Purpose.TEST:
            await self._store.mark_prompt_proven(provider_id, self._clock())
        return await self._confirm(reservation.created, accepted)

    async def _send(
        self,
        payment: PaymentRecord,
        credentials: DarajaCredentials,
        request: PushRequest,
        callback_url: str,
    ) -> StkPushAccepted:
        try:
            accepted = await self._daraja.stk_push(
                credentials,
                phone_number=request.phone_number,
                amount=request.amount,
                account_reference=request.account_reference,
                transaction_desc=request.transaction_desc,
                callback_url=callback_url,
            )
        except DarajaUnavailable as error:
            self._count("unknown", error.code)
            # Timeouts and 5xx pages are ambiguous: the prompt may have gone out. Keep the
            # reservation so a callback can still settle it (DARAJA.md: "500 after the prompt").
            log.warning("STK push outcome unknown (%s); keeping the reservation", error.code)
            raise RelayError(
                error.message + " The prompt may still reach the phone: if the customer pays, "
                "the payment will appear in the payment list.",
                code="daraja_unavailable",
                status=503,
            ) from None
        except DarajaError as error:
            self._count("refused", error.code)
            await self._store.discard_push(payment.id)
            raise _daraja_refusal(error) from None
        self._count("accepted", None)
        return accepted

    def _count(self, result: str, error_code: str | None) -> None:
        if self._metrics is not None:
            self._metrics.pushes.labels(result).inc()
            if error_code is not None:
                self._metrics.daraja_errors.labels("stk_push", error_code).inc()

    async def _confirm(self, payment: PaymentRecord, accepted: StkPushAccepted) -> Initiated:
        now = self._clock()
        confirmed = await self._store.confirm_push(
            payment.id,
            checkout_request_id=accepted.checkout_request_id,
            merchant_request_id=accepted.merchant_request_id,
            first_query_at=payment.created_at + self._reconciler.first_s,
            now=now,
        )
        self._notifier.notify(payment.provider_id)
        self._reconciler.wake()
        log.info("Push %s accepted by Daraja", accepted.checkout_request_id)
        return Initiated(confirmed, accepted.customer_message)

    async def status(self, provider_id: int, checkout_request_id: str) -> PaymentRecord:
        """The push's state, asking Daraja first when it is pending and stale."""
        payment = await self._store.get_payment(provider_id, checkout_request_id)
        if payment is None:
            raise RelayError(
                "No payment with that checkout request ID belongs to this provider.",
                code="not_found",
                status=404,
                field="checkout_request_id",
            )
        if payment.status is PaymentStatus.PENDING:
            changed = await self._reconciler.query_if_stale(payment)
            if changed is not None:
                return changed
        return payment


def _answer_existing(
    request: PushRequest,
    same_key: PaymentRecord | None,
    recent: PaymentRecord | None,
    now: float,
) -> Initiated:
    if same_key is not None:
        if not request.matches(same_key):
            raise RelayError(
                "This Idempotency-Key was already used for a different payment: use a new key.",
                code="idempotency_key_reused",
                status=409,
            )
        if not same_key.accepted:
            raise RelayError(
                "The first request with this Idempotency-Key is still being sent: ask again "
                "in a few seconds.",
                code="in_progress",
                status=409,
            )
        return Initiated(same_key, "The payment request was already sent.")
    assert recent is not None
    wait_s = max(1, round(recent.created_at + SAME_PHONE_GUARD_S - now))
    raise RelayError(
        "A payment prompt was sent to this phone less than a minute ago: wait "
        f"{wait_s} seconds, or repeat the first request's Idempotency-Key to get its result.",
        code="duplicate_push",
        status=409,
        field="phone_number",
    )


def _daraja_refusal(error: DarajaError) -> RelayError:
    if isinstance(error, DarajaSubscriberBusy):
        return RelayError(error.message, code="subscriber_busy", status=409)
    if isinstance(error, DarajaRateLimited):
        return RelayError(error.message, code="daraja_rate_limited", status=503)
    return RelayError(error.message, code="daraja_refused", status=502)
