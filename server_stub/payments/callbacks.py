"""Receiving Safaricom's callbacks: store the raw body durably, then apply it, then answer."""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Callable

from prometheus_client import Counter

from server_stub.errors import RelayError
from server_stub.operations.metrics import RelayMetrics
from server_stub.operations.settings import IpNetwork
from server_stub.payments.callback_load import CallbackLoad
from server_stub.payments.callback_parse import parse_stk_callback
from server_stub.payments.feed import FeedNotifier
from server_stub.payments.settlement import CallbackOutcome, StkResult
from server_stub.payments.strict_json import JsonBodyError, parse_strict_object
from server_stub.security.sliding_window import SlidingWindow
from server_stub.security.tokens import token_hash
from server_stub.store.protocol import Store
from server_stub.store.records import RawCallback

log = logging.getLogger(__name__)

MAX_PROVIDER_REF = 32


def client_address(peer: str, forwarded_for: str | None, trusted: tuple[IpNetwork, ...]) -> str:
    """The caller's address; X-Forwarded-For counts only when the peer is a trusted proxy."""
    if not forwarded_for or not address_within(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    # Walk from the nearest hop back; the first address not ours is the real client.
    for hop in reversed(hops):
        if not address_within(hop, trusted):
            return hop
    return hops[0] if hops else peer


def address_within(address: str, networks: tuple[IpNetwork, ...]) -> bool:
    """Whether `address` is an IP address inside one of `networks`."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class CallbackInbox:
    """Stores and applies callbacks; a refusal is stored too, then raised as a RelayError."""

    def __init__(
        self,
        store: Store,
        notifier: FeedNotifier,
        allowed_sources: tuple[IpNetwork, ...],
        confirm_after_s: float,
        clock: Callable[[], float],
        unmatched_per_minute: int = 20,
        metrics: RelayMetrics | None = None,
        wake_queries: Callable[[float], None] | None = None,
        load: CallbackLoad | None = None,
    ) -> None:
        self._metrics = metrics
        # Confirming queries give way while callbacks saturate the relay (callback_load).
        self.load = load
        self._counters: dict[CallbackOutcome, Counter] = {}
        # A paid callback schedules its confirming query `confirm_after_s` later: the
        # reconciler, asleep until its next due query, must look again.
        self._wake_queries = wake_queries
        self._confirm_after_s = confirm_after_s
        self._unmatched = SlidingWindow(unmatched_per_minute)
        self._store = store
        self._notifier = notifier
        self._allowed = allowed_sources
        self._clock = clock

    async def admit(self, token: str, source: str) -> None:
        """Refuse (429) a source that sent too many callbacks that applied to nothing.

        Safaricom only ever calls back with a token of ours, so this limit never touches a real
        callback: once a source is over it, its callbacks are looked up before anything is read
        and only those for our pushes go on. Under it, nothing is looked up twice (the store
        finds the push while ingesting).
        """
        wait = self._unmatched.wait_s(source)
        if wait <= 0 or await self._store.callback_token_known(token_hash(token)):
            return
        raise RelayError(
            "Too many callbacks for unknown payments from your address: wait "
            f"{math.ceil(wait)} seconds.",
            code="too_many_callbacks",
            status=429,
            retry_after_s=wait,
        )

    async def receive(
        self,
        provider_ref: str,
        token: str,
        source: str,
        body: bytes,
        refusal: RelayError | None = None,
    ) -> CallbackOutcome:
        """Store, apply and report one callback; raises the refusal after storing it."""
        if self.load is None:
            return await self._receive(provider_ref, token, source, body, refusal)
        self.load.started()
        try:
            return await self._receive(provider_ref, token, source, body, refusal)
        finally:
            self.load.finished()

    async def _receive(
        self,
        provider_ref: str,
        token: str,
        source: str,
        body: bytes,
        refusal: RelayError | None,
    ) -> CallbackOutcome:
        if refusal is None and self._allowed and not address_within(source, self._allowed):
            refusal = RelayError(
                "Callbacks are accepted only from Safaricom's addresses.",
                code="source_refused",
                status=403,
            )
        result, refusal = _parse(body, refusal)
        raw = RawCallback(
            received_at=self._clock(),
            provider_ref=provider_ref[:MAX_PROVIDER_REF],
            token_hash=token_hash(token),
            source_address=source,
            body=body,
        )
        outcome, changed = await self._store.ingest_callback(
            raw,
            provider_id=_provider_id(provider_ref),
            result=result,
            rejection=_refusal_outcome(refusal),
            confirm_after_s=self._confirm_after_s,
        )
        if changed is not None:
            self._notifier.notify(changed)
            if self._wake_queries is not None:
                self._wake_queries(self._clock() + self._confirm_after_s)
        if outcome in _APPLIED_TO_NOTHING:
            self._unmatched.record(source)
        # The source is the address the relay believed (X-Forwarded-For from TRUSTED_PROXIES
        # only): behind a proxy its access log shows only the proxy.
        log.info("Callback for provider %s from %s: %s", raw.provider_ref, source, outcome.value)
        if self._metrics is not None:
            counter = self._counters.get(outcome)
            if counter is None:  # labels() takes a lock and builds a key: once per outcome
                counter = self._counters[outcome] = self._metrics.callbacks.labels(outcome.value)
            counter.inc()
        if refusal is not None:
            raise refusal
        return outcome


# Outcomes of callbacks that changed no payment of the provider named in their address: what
# junk looks like. A real callback with one of them is rare, and is let through by `admit`.
_APPLIED_TO_NOTHING = frozenset(
    {
        CallbackOutcome.UNKNOWN_PUSH,
        CallbackOutcome.WRONG_PROVIDER,
        CallbackOutcome.MALFORMED,
        CallbackOutcome.SOURCE_REFUSED,
    }
)


def _parse(body: bytes, refusal: RelayError | None) -> tuple[StkResult | None, RelayError | None]:
    """The callback's result, unless it is already refused or its body is malformed."""
    if refusal is not None:
        return None, refusal
    try:
        return parse_stk_callback(parse_strict_object(body)), None
    except JsonBodyError as error:
        return None, RelayError(error.message, code="malformed_callback", field=error.field)


def _provider_id(ref: str) -> int | None:
    # ASCII only: str.isdigit() is also true for "²", which int() refuses.
    return int(ref) if ref.isascii() and ref.isdigit() and len(ref) <= 18 else None


def _refusal_outcome(refusal: RelayError | None) -> CallbackOutcome | None:
    if refusal is None:
        return None
    if refusal.code == "source_refused":
        return CallbackOutcome.SOURCE_REFUSED
    return CallbackOutcome.MALFORMED
