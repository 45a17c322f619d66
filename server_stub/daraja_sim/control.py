"""The `/sim/...` control API: apps, scenario choices, the request log, reset."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server_stub.daraja_sim.callbacks import CallbackDispatcher
from server_stub.daraja_sim.config import AccountKind, ShortcodeAccount, SimApp
from server_stub.daraja_sim.errors import control_error
from server_stub.daraja_sim.scenarios import SCENARIO_PHONES, SCENARIOS, Scenario
from server_stub.daraja_sim.state import SimState

_PHONE = re.compile(r"254[17]\d{8}")
_SHORTCODE = re.compile(r"\d{5,7}")
_TILL = re.compile(r"\d{5,10}")


class ControlInputError(Exception):
    """Bad input to the control API; becomes a 400 naming the field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ControlEndpoints:
    """Handlers of the control API; thin wrappers over `SimState`."""

    def __init__(self, state: SimState, callbacks: CallbackDispatcher) -> None:
        self._state = state
        self._callbacks = callbacks

    async def scenarios(self, request: Request) -> Response:
        """List scenarios, the documented phones and the current overrides."""
        phones: dict[str, list[str]] = {}
        for phone, scenario in SCENARIO_PHONES.items():
            phones.setdefault(scenario.name, []).append(phone)
        next_push = self._state.next_push_scenario
        return JSONResponse(
            {
                "scenarios": [
                    {"name": s.name, "summary": s.summary, "phones": phones.get(s.name, [])}
                    for s in SCENARIOS.values()
                ],
                "phone_overrides": {p: s.name for p, s in self._state.phone_scenarios.items()},
                "next_push": next_push.name if next_push else None,
            }
        )

    async def set_phone_scenario(self, request: Request) -> Response:
        """`PUT /sim/scenarios/phone/{phone}` with `{"scenario": name}`."""
        return await _guarded(request, self._set_phone)

    async def clear_phone_scenario(self, request: Request) -> Response:
        """`DELETE /sim/scenarios/phone/{phone}`: back to the documented behaviour."""
        phone = str(request.path_params["phone"])
        removed = self._state.phone_scenarios.pop(phone, None)
        return JSONResponse({"phone": phone, "removed": removed is not None})

    async def set_next_scenario(self, request: Request) -> Response:
        """`PUT /sim/scenarios/next` with `{"scenario": name}`: used by the next push only."""
        return await _guarded(request, self._set_next)

    async def clear_next_scenario(self, request: Request) -> Response:
        """`DELETE /sim/scenarios/next`."""
        self._state.next_push_scenario = None
        return JSONResponse({"next_push": None})

    async def add_app(self, request: Request) -> Response:
        """`POST /sim/apps`: add (or replace) a Daraja app and its shortcodes."""
        return await _guarded(request, self._add_app)

    async def requests(self, request: Request) -> Response:
        """`GET /sim/requests?after=SEQ&kind=KIND`: the request log, oldest first."""
        after_text = request.query_params.get("after", "0")
        if not after_text.isdigit():
            return control_error(400, "invalid", "after must be a whole number.", "after")
        kind = request.query_params.get("kind") or None
        return JSONResponse({"items": self._state.log.entries(int(after_text), kind)})

    async def pushes(self, request: Request) -> Response:
        """`GET /sim/pushes`: every push made and whether its customer has answered."""
        now = self._state.clock()
        return JSONResponse({"items": [p.summary(now) for p in self._state.pushes.values()]})

    async def reset(self, request: Request) -> Response:
        """`POST /sim/reset`: drop pending callbacks, tokens, pushes, overrides and the log."""
        await self._callbacks.cancel_pending()
        self._state.reset()
        return JSONResponse({"reset": True})

    async def _set_phone(self, request: Request) -> Response:
        phone = str(request.path_params["phone"])
        if not _PHONE.fullmatch(phone):
            raise ControlInputError("The phone must look like 2547XXXXXXXX.", "phone")
        scenario = _scenario(await _json_object(request))
        self._state.phone_scenarios[phone] = scenario
        return JSONResponse({"phone": phone, "scenario": scenario.name})

    async def _set_next(self, request: Request) -> Response:
        scenario = _scenario(await _json_object(request))
        self._state.next_push_scenario = scenario
        return JSONResponse({"next_push": scenario.name})

    async def _add_app(self, request: Request) -> Response:
        app = _app(await _json_object(request))
        self._state.apps[app.consumer_key] = app
        shortcodes = [a.shortcode for a in app.accounts]
        return JSONResponse({"shortcodes": shortcodes}, status_code=201)


async def _guarded(request: Request, handler: Callable[[Request], Awaitable[Response]]) -> Response:
    try:
        return await handler(request)
    except ControlInputError as error:
        return control_error(400, "invalid", error.message, error.field)


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body(), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ControlInputError("The body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise ControlInputError("The body must be a JSON object.")
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _scenario(data: dict[str, Any]) -> Scenario:
    name = data.get("scenario")
    scenario = SCENARIOS.get(name) if isinstance(name, str) else None
    if scenario is None:
        known = ", ".join(SCENARIOS)
        raise ControlInputError(f"Unknown scenario; choose one of: {known}.", "scenario")
    return scenario


def _app(data: dict[str, Any]) -> SimApp:
    key, secret = data.get("consumer_key"), data.get("consumer_secret")
    if not isinstance(key, str) or not 1 <= len(key) <= 128 or ":" in key:
        raise ControlInputError(
            "consumer_key must be 1 to 128 characters, no colon.", "consumer_key"
        )
    if not isinstance(secret, str) or not 1 <= len(secret) <= 128:
        raise ControlInputError("consumer_secret must be 1 to 128 characters.", "consumer_secret")
    raw_accounts = data.get("accounts")
    if not isinstance(raw_accounts, list) or not 1 <= len(raw_accounts) <= 20:
        raise ControlInputError("accounts must be a list of 1 to 20 shortcodes.", "accounts")
    return SimApp(key, secret, tuple(_account(item) for item in raw_accounts))


def _account(item: Any) -> ShortcodeAccount:
    if not isinstance(item, dict):
        raise ControlInputError("Each account must be a JSON object.", "accounts")
    shortcode, passkey = item.get("shortcode"), item.get("passkey")
    if not isinstance(shortcode, str) or not _SHORTCODE.fullmatch(shortcode):
        raise ControlInputError("shortcode must be 5 to 7 digits.", "shortcode")
    if not isinstance(passkey, str) or not 1 <= len(passkey) <= 256:
        raise ControlInputError("passkey must be 1 to 256 characters.", "passkey")
    try:
        kind = AccountKind(item.get("account_type", "paybill"))
    except ValueError:
        raise ControlInputError("account_type must be paybill or till.", "account_type") from None
    till = item.get("till_number")
    if kind is AccountKind.TILL and (not isinstance(till, str) or not _TILL.fullmatch(till)):
        raise ControlInputError("A till account needs its till_number (digits).", "till_number")
    return ShortcodeAccount(shortcode, passkey, kind, till if kind is AccountKind.TILL else None)
