"""Everything one simulator instance remembers: apps, tokens, pushes, scenario choices, log."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from server_stub.daraja_sim.config import SimApp, SimConfig
from server_stub.daraja_sim.errors import INVALID_ACCESS_TOKEN, DarajaFault
from server_stub.daraja_sim.ids import IdFactory, nairobi_now
from server_stub.daraja_sim.scenarios import CallbackMode, Scenario, builtin_scenario
from server_stub.daraja_sim.validation import PushRequest


@dataclass(slots=True)
class Push:
    """One accepted STK push and what its customer will do."""

    checkout_request_id: str
    merchant_request_id: str
    consumer_key: str
    shortcode: str
    phone: str
    amount: int
    account_reference: str
    callback_url: str
    scenario: Scenario
    created_at: float
    decided_at: float
    answered_at: datetime
    receipt_number: str | None

    def decided(self, now: float) -> bool:
        """The customer has answered (or the prompt has expired) by `now`."""
        return now >= self.decided_at

    def query_outcome(self) -> tuple[int, str]:
        """What STK query reports once decided; usually the callback's outcome."""
        if self.scenario.query_says is not None:
            return self.scenario.query_says
        return self.scenario.result_code, self.scenario.result_desc

    def summary(self, now: float) -> dict[str, Any]:
        """A JSON view for the control API."""
        return {
            "checkout_request_id": self.checkout_request_id,
            "merchant_request_id": self.merchant_request_id,
            "shortcode": self.shortcode,
            "phone_number": self.phone,
            "amount": self.amount,
            "account_reference": self.account_reference,
            "scenario": self.scenario.name,
            "decided": self.decided(now),
            "result_code": self.scenario.result_code if self.decided(now) else None,
        }


class RequestLog:
    """What the simulator received and sent, oldest first, bounded in size."""

    def __init__(self, limit: int) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)
        self._seq = 0

    def add(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Record one event; `seq` orders events by when they finished."""
        self._seq += 1
        entry = {"seq": self._seq, "at": time.time(), "kind": kind, **fields}
        self._entries.append(entry)
        return entry

    def entries(self, after: int = 0, kind: str | None = None) -> list[dict[str, Any]]:
        """Entries with `seq` above `after`, optionally of one kind."""
        return [
            e for e in self._entries if e["seq"] > after and (kind is None or e["kind"] == kind)
        ]

    def clear(self) -> None:
        """Forget every entry (sequence numbers keep growing)."""
        self._entries.clear()


@dataclass(slots=True)
class _Token:
    consumer_key: str
    expires_at: float


class SimState:
    """The mutable state of one simulator; used only from its event loop."""

    def __init__(self, config: SimConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self.ids = IdFactory()
        self.log = RequestLog(config.request_log_limit)
        self.apps: dict[str, SimApp] = {}
        self.pushes: dict[str, Push] = {}
        self.phone_scenarios: dict[str, Scenario] = {}
        self.next_push_scenario: Scenario | None = None
        self._tokens: dict[str, _Token] = {}
        self._token_of_app: dict[str, str] = {}
        self._last_query: dict[str, float] = {}
        self._query_failures: dict[str, int] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the configured apps, with no tokens, pushes, overrides or log."""
        self.apps = {app.consumer_key: app for app in self.config.apps}
        self.pushes.clear()
        self.phone_scenarios.clear()
        self.next_push_scenario = None
        self._tokens.clear()
        self._token_of_app.clear()
        self._last_query.clear()
        self._query_failures.clear()
        self.log.clear()

    def issue_token(self, app: SimApp) -> str:
        """A fresh token for the app; by default the app's previous token stops working."""
        if self.config.one_token_per_app:
            previous = self._token_of_app.pop(app.consumer_key, None)
            if previous is not None:
                self._tokens.pop(previous, None)
        token = self.ids.access_token()
        expires_at = self.clock() + self.config.token_lifetime_s
        self._tokens[token] = _Token(app.consumer_key, expires_at)
        self._token_of_app[app.consumer_key] = token
        return token

    def app_for_bearer(self, authorization: str) -> SimApp:
        """The app behind an `Authorization: Bearer` header, or 404.001.03."""
        scheme, _, token = authorization.partition(" ")
        record = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if record is None or self.clock() >= record.expires_at:
            raise DarajaFault.of(INVALID_ACCESS_TOKEN)
        app = self.apps.get(record.consumer_key)
        if app is None:
            raise DarajaFault.of(INVALID_ACCESS_TOKEN)
        return app

    def choose_scenario(self, phone: str) -> Scenario:
        """Next-push override, then the phone's override, then the documented phones."""
        if self.next_push_scenario is not None:
            scenario, self.next_push_scenario = self.next_push_scenario, None
            return scenario
        return self.phone_scenarios.get(phone) or builtin_scenario(phone)

    def open_prompt(self, phone: str) -> Push | None:
        """A push whose prompt is still open on this phone."""
        now = self.clock()
        return next(
            (p for p in self.pushes.values() if p.phone == phone and not p.decided(now)), None
        )

    def query_fails(self, push: Push) -> bool:
        """Whether this decided push's query fails once more (its scenario's query_errors)."""
        failed = self._query_failures.get(push.checkout_request_id, 0)
        if failed >= push.scenario.query_errors:
            return False
        self._query_failures[push.checkout_request_id] = failed + 1
        return True

    def query_too_soon(self, checkout_request_id: str) -> bool:
        """Note a query; True when it follows the previous one faster than allowed."""
        now = self.clock()
        previous = self._last_query.get(checkout_request_id)
        self._last_query[checkout_request_id] = now
        limit = self.config.min_query_interval_s
        return previous is not None and limit > 0 and now - previous < limit

    def decision_delay(self, scenario: Scenario) -> float:
        """Seconds from the push until the customer's outcome is known."""
        if scenario.callback is CallbackMode.BEFORE_RESPONSE:
            return 0.0
        if scenario.waits_for_prompt_expiry:
            return self.config.prompt_lifetime_s
        return self.config.callback_delay_s

    def new_push(self, consumer_key: str, request: PushRequest, scenario: Scenario) -> Push:
        """Record an accepted push with fresh identifiers and its decision time."""
        created = self.clock()
        delay = self.decision_delay(scenario)
        moment = nairobi_now()
        answered = moment + timedelta(seconds=delay)
        push = Push(
            checkout_request_id=self.ids.checkout_request_id(moment),
            merchant_request_id=self.ids.merchant_request_id(),
            consumer_key=consumer_key,
            shortcode=request.shortcode,
            phone=request.phone,
            amount=request.amount,
            account_reference=request.account_reference,
            callback_url=request.callback_url,
            scenario=scenario,
            created_at=created,
            decided_at=created + delay,
            answered_at=answered,
            receipt_number=self.ids.receipt_number(answered) if scenario.paid else None,
        )
        self.pushes[push.checkout_request_id] = push
        return push
