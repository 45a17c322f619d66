"""Callbacks and queries in any order, duplicated, misdirected: the settlement rules still hold.

A hypothesis state machine drives the real store (a fresh database per run, on each store) through
`ingest_callback` and `apply_query`, the same calls the callback route and the reconciler make,
and checks after every step:
- a final status never changes, except to `disputed`, and `disputed` never changes;
- a push is paid at most once: its receipt, once set, never changes;
- a receipt number belongs to one payment, and only to a push a valid callback carried it for;
- confirmation: `pending` after a paid callback until a query agrees (`confirmed`), `not_needed`
  when a query settled the push, null otherwise; a disputed push has none;
- access: at most one row per payment, whose code never changes; a confirmed (or query-settled)
  paid push has one, a disputed push's access is revoked; with the provider's "access at the
  callback" switch on, a paid callback gives it before confirmation.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from bucket_desktop.services.mpesa_rules import PaymentStatus
from server_stub.payments.settlement import StkResult
from server_stub.security.tokens import token_hash
from server_stub.store.feed_items import payment_json
from server_stub.store.records import (
    AccessState,
    Confirmation,
    PaymentRecord,
    RawCallback,
    ResolvedBy,
)
from tests.server_stub.inprocess import SeededPush, keyring_for_tests, seed_pushes
from tests.server_stub.stores import active, open_store, store_sql

PUSHES = 3
AMOUNT = 10
RECEIPTS = ("RCPAAAA001", "RCPBBBB002", "RCPCCCC003", "RCPDDDD004")
# Paid, insufficient funds, wrong PIN, cancelled, unreachable, expired, a text code.
CODES = ("0", "0", "1", "2001", "1032", "1037", "1019", "SFC_IC0003")
FINAL = {PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED}

push_index = st.integers(0, PUSHES - 1)


class SettlementMachine(RuleBasedStateMachine):
    """One store, two providers' pushes, and a stream of callbacks and queries."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="settle-", dir=folder))
        self.loop = asyncio.new_event_loop()
        self.store = open_store(self.folder / "relay.db", time.time, keyring_for_tests())
        self.pushes, self.other = self._run(self._seed())
        self.seen: dict[int, PaymentRecord] = {}
        self.valid_receipts: set[tuple[str, str]] = set()
        self._check_history()

    async def _seed(self) -> tuple[list[SeededPush], SeededPush]:
        first = await self.store.create_provider("A", time.time())
        second = await self.store.create_provider("B", time.time())
        pushes = await seed_pushes(self.store, first, PUSHES, amount=AMOUNT)
        [other] = await seed_pushes(self.store, second, 1, amount=AMOUNT, tag="ws_OT")
        return pushes, other

    def _run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        """Close the store and remove its folder."""
        self._run(self.store.close())
        self.loop.close()
        active().forget(self.folder / "relay.db")
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(
        target_push=push_index,
        code=st.sampled_from(CODES),
        receipt=st.sampled_from(RECEIPTS),
        amount_ok=st.booleans(),
        misdirected=st.sampled_from(["no", "no", "no", "other_checkout", "other_provider"]),
    )
    def callback(
        self, target_push: int, code: str, receipt: str, amount_ok: bool, misdirected: str
    ) -> None:
        """A callback arrives through the push's token (maybe a wrong body or provider)."""
        push = self.pushes[target_push]
        checkout = push.checkout_request_id
        if misdirected == "other_checkout":
            checkout = self.pushes[(target_push + 1) % PUSHES].checkout_request_id
        provider_id = (
            self.other.provider_id if misdirected == "other_provider" else push.provider_id
        )
        paid = code == "0"
        result = StkResult(
            result_code=code,
            result_desc="from the state machine",
            checkout_request_id=checkout,
            merchant_request_id="MR",
            receipt=receipt if paid else None,
            amount=(AMOUNT if amount_ok else AMOUNT + 1) if paid else None,
        )
        if paid and amount_ok and misdirected == "no":
            self.valid_receipts.add((receipt, checkout))
        raw = RawCallback(time.time(), str(provider_id), token_hash(push.token), "127.0.0.1", b"{}")
        self._run(
            self.store.ingest_callback(
                raw, provider_id=provider_id, result=result, rejection=None, confirm_after_s=1.0
            )
        )

    @rule(on=st.booleans())
    def switch_access_at_callback(self, on: bool) -> None:
        """The owner flips "give access at the callback"."""
        self._run(self.store.set_access_at_callback(self.pushes[0].provider_id, on))

    @rule(target_push=push_index, code=st.sampled_from((*CODES, None)))
    def query(self, target_push: int, code: str | None) -> None:
        """The reconciler's STK query answers (None: still being processed)."""
        record = self._payment(target_push)
        result = (
            None if code is None else StkResult(code, "query", record.checkout_request_id or "")
        )
        self._run(self.store.apply_query(record.id, result, next_query_at=None, now=time.time()))

    @rule(target_push=push_index)
    def query_window_ends(self, target_push: int) -> None:
        """The last query finds the prompt expired (the push timed out)."""
        record = self._payment(target_push)
        result = StkResult("1019", "Transaction has expired", record.checkout_request_id or "")
        self._run(self.store.apply_query(record.id, result, next_query_at=None, now=time.time()))

    def _payment(self, index: int) -> PaymentRecord:
        push = self.pushes[index]
        record = self._run(self.store.get_payment(push.provider_id, push.checkout_request_id))
        assert record is not None
        return record

    @invariant()
    def settled_results_hold(self) -> None:
        """Final statuses, receipts and receipt ownership obey the rules."""
        self._check_history()

    def _check_history(self) -> None:
        current = [self._payment(index) for index in range(PUSHES)]
        receipts = [p.mpesa_receipt_number for p in current if p.mpesa_receipt_number]
        assert len(receipts) == len(set(receipts)), "one receipt on two payments"
        for payment in current:
            if payment.mpesa_receipt_number:
                owner = (payment.mpesa_receipt_number, payment.checkout_request_id)
                assert owner in self.valid_receipts, "receipt from a callback that was not valid"
            before = self.seen.get(payment.id)
            if before is not None:
                _check_transition(before, payment)
            self.seen[payment.id] = payment
        other = self._run(
            self.store.get_payment(self.other.provider_id, self.other.checkout_request_id)
        )
        assert other is not None and other.status is PaymentStatus.PENDING
        assert other.access is None
        [(most,)] = store_sql(
            self.folder / "relay.db",
            "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM access "
            "GROUP BY payment_id) AS counts",
        )
        assert most <= 1, "two access rows for one payment"
        # No delivery runs here, so every stored feed item is the payment as it is now.
        provider = self.pushes[0].provider_id
        stored = self._run(self.store.feed_items_after(provider, 0, 100))
        live = self._run(self.store.payments_after(provider, 0, 100))
        assert [item for _, item in stored] == [payment_json(p) for p in live], "stale feed item"


def _check_transition(before: PaymentRecord, after: PaymentRecord) -> None:
    if before.status is PaymentStatus.DISPUTED:
        assert after.status is PaymentStatus.DISPUTED, "a disputed push changed"
    elif before.status in FINAL:
        assert after.status in (before.status, PaymentStatus.DISPUTED), (
            f"final {before.status} became {after.status}"
        )
        # Only a late callback confirming a query's verdict may refine its code (same status).
        if before.resolved_by is not ResolvedBy.QUERY:
            assert after.result_code == before.result_code
    if before.mpesa_receipt_number is not None:
        assert after.mpesa_receipt_number == before.mpesa_receipt_number, "paid twice"
    if after.status is PaymentStatus.PAID and after.resolved_by is not None:
        assert after.result_code == "0"
    if before.access is not None:
        assert after.access is not None and after.access.code == before.access.code
    _check_access(after)


def _check_access(payment: PaymentRecord) -> None:
    confirmation, access = payment.confirmation, payment.access
    if payment.status is PaymentStatus.PAID:
        expected = Confirmation.NOT_NEEDED if payment.resolved_by is ResolvedBy.QUERY else None
        if expected is not None:
            assert confirmation is expected
        else:
            assert confirmation in (Confirmation.PENDING, Confirmation.CONFIRMED)
        if confirmation is not Confirmation.PENDING:
            assert access is not None and access.state is AccessState.DELIVERED
    else:
        assert confirmation is None, f"{payment.status} with confirmation {confirmation}"
        if payment.status is PaymentStatus.DISPUTED:
            assert access is None or access.state is AccessState.REVOKED
        else:
            assert access is None, f"{payment.status} payment with access"


MACHINE_SETTINGS = settings(
    max_examples=100,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# The rules live in one copy of the store's logic; on PostgreSQL (several round trips a step,
# a database per run) fewer runs check that its SQL keeps them too.
EXAMPLES = {"sqlite": 100, "postgresql": 20}


def test_settlement_rules_hold(tmp_path: Path, store_backend: str) -> None:
    run_state_machine_as_test(
        lambda: SettlementMachine(tmp_path),
        settings=settings(MACHINE_SETTINGS, max_examples=EXAMPLES[store_backend]),
    )


def test_second_receipt_after_a_query_settled_payment_is_a_dispute(tmp_path: Path) -> None:
    # Found by the machine above: the second receipt used to replace the first one.
    machine = SettlementMachine(tmp_path)
    try:
        machine.query(target_push=0, code="0")
        for receipt in RECEIPTS[:2]:
            machine.callback(0, "0", receipt, amount_ok=True, misdirected="no")
            machine.settled_results_hold()
        settled = machine._payment(0)
        assert settled.status is PaymentStatus.DISPUTED
        assert settled.mpesa_receipt_number == RECEIPTS[0]
        assert RECEIPTS[1] in (settled.result_desc or "")
    finally:
        machine.teardown()
