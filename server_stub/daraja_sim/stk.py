"""STK push (`processrequest`) and STK query, answered like Daraja for each scenario."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server_stub.daraja_sim.callbacks import CallbackDispatcher
from server_stub.daraja_sim.config import ShortcodeAccount, SimApp
from server_stub.daraja_sim.errors import (
    INTERNAL_ERROR,
    MERCHANT_UNKNOWN,
    SPIKE_ARREST,
    STILL_PROCESSING,
    SUBSCRIBER_LOCKED,
    DarajaFault,
)
from server_stub.daraja_sim.scenarios import (
    WRONG_ACCOUNT_TYPE,
    CallbackMode,
    PushFailure,
    Scenario,
)
from server_stub.daraja_sim.state import SimState
from server_stub.daraja_sim.validation import (
    PushRequest,
    check_password,
    parse_push,
    parse_query,
    read_json_object,
)

log = logging.getLogger(__name__)

ACCEPTED = "Success. Request accepted for processing"
# Daraja's own spelling.
QUERY_ACCEPTED = "The service request has been accepted successsfully"

Handler = Callable[[Request, dict[str, Any]], Awaitable[dict[str, Any]]]


class StkEndpoints:
    """The two STK routes; each request and its answer goes to the request log."""

    def __init__(self, state: SimState, callbacks: CallbackDispatcher) -> None:
        self._state = state
        self._callbacks = callbacks

    async def push(self, request: Request) -> Response:
        """`POST /mpesa/stkpush/v1/processrequest`."""
        return await self._answer("stk_push", request, self._push)

    async def query(self, request: Request) -> Response:
        """`POST /mpesa/stkpushquery/v1/query`."""
        return await self._answer("stk_query", request, self._query)

    async def _answer(self, kind: str, request: Request, handler: Handler) -> Response:
        details: dict[str, Any] = {}
        try:
            body = await handler(request, details)
        except DarajaFault as fault:
            log.info("%s refused: %s %s", kind, fault.code, fault.message)
            self._state.log.add(kind, status=fault.http_status, error_code=fault.code, **details)
            return fault.response(self._state.ids.request_id())
        log.info("%s accepted: %s", kind, details.get("checkout_request_id"))
        self._state.log.add(kind, status=200, **details)
        return JSONResponse(body)

    async def _push(self, request: Request, details: dict[str, Any]) -> dict[str, Any]:
        app = self._state.app_for_bearer(request.headers.get("authorization", ""))
        data = await read_json_object(request)
        details["body"] = _redacted(data)
        push_request = parse_push(data)
        account = _account(app, push_request.shortcode)
        check_password(account, push_request.password, push_request.timestamp)
        if push_request.party_b != account.party_b:
            raise DarajaFault.invalid("PartyB")
        if self._state.config.lock_subscriber and self._state.open_prompt(push_request.phone):
            raise DarajaFault.of(SUBSCRIBER_LOCKED)
        scenario = self._scenario_for(push_request, account)
        details["scenario"] = scenario.name
        if scenario.push_failure is PushFailure.SPIKE_ARREST:
            raise DarajaFault.of(SPIKE_ARREST)
        push = self._state.new_push(app.consumer_key, push_request, scenario)
        details["checkout_request_id"] = push.checkout_request_id
        if scenario.callback is CallbackMode.BEFORE_RESPONSE:
            await self._callbacks.deliver(push)
        else:
            self._callbacks.schedule(push)
        if scenario.push_failure is PushFailure.SERVER_ERROR_AFTER_PROMPT:
            raise DarajaFault.of(INTERNAL_ERROR)
        return {
            "MerchantRequestID": push.merchant_request_id,
            "CheckoutRequestID": push.checkout_request_id,
            "ResponseCode": "0",
            "ResponseDescription": ACCEPTED,
            "CustomerMessage": ACCEPTED,
        }

    async def _query(self, request: Request, details: dict[str, Any]) -> dict[str, Any]:
        app = self._state.app_for_bearer(request.headers.get("authorization", ""))
        data = await read_json_object(request)
        details["body"] = _redacted(data)
        query = parse_query(data)
        account = _account(app, query.shortcode)
        check_password(account, query.password, query.timestamp)
        push = self._state.pushes.get(query.checkout_request_id)
        if push is None or push.consumer_key != app.consumer_key:
            raise DarajaFault.invalid("CheckoutRequestID")
        if push.shortcode != query.shortcode:
            raise DarajaFault.invalid("CheckoutRequestID")
        details["checkout_request_id"] = push.checkout_request_id
        if self._state.query_too_soon(push.checkout_request_id):
            raise DarajaFault.of(SPIKE_ARREST)
        now = self._state.clock()
        if not push.decided(now) or now < push.decided_at + push.scenario.query_processing_s:
            details["pending"] = True
            raise DarajaFault.of(STILL_PROCESSING)
        if self._state.query_fails(push):
            details["failed"] = True
            raise DarajaFault.of(INTERNAL_ERROR)
        code, text = push.query_outcome()
        details["result_code"] = str(code)
        return {
            "ResponseCode": "0",
            "ResponseDescription": QUERY_ACCEPTED,
            "MerchantRequestID": push.merchant_request_id,
            "CheckoutRequestID": push.checkout_request_id,
            "ResultCode": str(code),
            "ResultDesc": text,
        }

    def _scenario_for(self, request: PushRequest, account: ShortcodeAccount) -> Scenario:
        scenario = self._state.choose_scenario(request.phone)
        # A Buy Goods push to a paybill (or the reverse) reaches the phone, then fails.
        if request.transaction_type != account.kind.transaction_type and not scenario.push_failure:
            return WRONG_ACCOUNT_TYPE
        return scenario


def _account(app: SimApp, shortcode: str) -> ShortcodeAccount:
    account = app.account(shortcode)
    if account is None:
        raise DarajaFault.of(MERCHANT_UNKNOWN)
    return account


# Password reveals the passkey; some client libraries also send the Passkey itself, or an
# initiator's credentials, in the body.
_SECRET_FIELDS = frozenset({"password", "passkey", "securitycredential", "initiatorpassword"})


def _redacted(data: dict[str, Any]) -> dict[str, Any]:
    """The body for the request log, without any field that holds or reveals a secret."""
    return {
        key: "<redacted>" if key.lower() in _SECRET_FIELDS else value for key, value in data.items()
    }
