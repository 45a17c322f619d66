"""The /sim control API: scenario overrides, apps, the request log, reset."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sim_helpers import CallbackReceiver, DarajaCaller

from server_stub.daraja_sim.scenarios import (
    DEFAULT_PASSKEY,
    SCENARIO_PHONES,
    scenario_table_markdown,
)
from server_stub.daraja_sim.testing import RunningSimulator, running_simulator


def result_code_of(receiver: CallbackReceiver, count: int) -> Any:
    return receiver.wait_for(count)[count - 1].body["Body"]["stkCallback"]["ResultCode"]


def test_scenario_listing_names_every_documented_phone(caller: DarajaCaller) -> None:
    listing = caller.http.get("/sim/scenarios").json()
    phones = {phone for s in listing["scenarios"] for phone in s["phones"]}
    assert phones == set(SCENARIO_PHONES)
    assert listing["phone_overrides"] == {} and listing["next_push"] is None


def test_phone_override_then_clear(
    sim: RunningSimulator, caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    phone = "254722000000"
    sim.set_phone_scenario(phone, "cancelled")
    token = caller.token()
    assert caller.push(token, caller.push_body(phone, receiver.url())).status_code == 200
    assert result_code_of(receiver, 1) == 1032
    cleared = caller.http.delete(f"/sim/scenarios/phone/{phone}").json()
    assert cleared == {"phone": phone, "removed": True}
    assert caller.push(token, caller.push_body(phone, receiver.url())).status_code == 200
    assert result_code_of(receiver, 2) == 0


def test_next_push_override_is_used_once(
    sim: RunningSimulator, caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    sim.set_next_scenario("wrong_pin")
    token = caller.token()
    caller.push(token, caller.push_body("254722000001", receiver.url()))
    caller.push(token, caller.push_body("254722000002", receiver.url()))
    codes = sorted(r.body["Body"]["stkCallback"]["ResultCode"] for r in receiver.wait_for(2))
    assert codes == [0, 2001]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/sim/scenarios/phone/0712345678", {"scenario": "paid"}, "phone"),
        ("PUT", "/sim/scenarios/phone/254712345678", {"scenario": "rich"}, "scenario"),
        ("PUT", "/sim/scenarios/next", ["paid"], None),
        ("POST", "/sim/apps", {"consumer_key": "k"}, "consumer_secret"),
        (
            "POST",
            "/sim/apps",
            {"consumer_key": "k", "consumer_secret": "s", "accounts": [{"shortcode": "1"}]},
            "shortcode",
        ),
        (
            "POST",
            "/sim/apps",
            {
                "consumer_key": "k",
                "consumer_secret": "s",
                "accounts": [{"shortcode": "600100", "passkey": "p", "account_type": "till"}],
            },
            "till_number",
        ),
    ],
)
def test_bad_control_input_gets_a_readable_400(
    caller: DarajaCaller, method: str, path: str, body: Any, field: str | None
) -> None:
    response = caller.http.request(method, path, json=body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["success"] is False
    assert payload["error"]["code"] == "invalid"
    assert payload["error"]["message"].endswith(".")
    assert payload["error"].get("field") == field


def test_request_log_filters_and_hides_the_password_and_passkey(
    sim: RunningSimulator, caller: DarajaCaller
) -> None:
    token = caller.token()
    # Some client libraries send the passkey itself in the body.
    body = caller.push_body("254708374149", "https://relay.example/cb/1/x/")
    caller.push(token, {**body, "Passkey": DEFAULT_PASSKEY})
    # The simulator's own callback attempt may land in the log at any moment: leave it out.
    requests = [e for e in sim.request_log() if e["kind"] != "callback"]
    assert [e["kind"] for e in requests] == ["oauth", "stk_push"]
    push_entry = sim.request_log(kind="stk_push")[0]
    assert push_entry["body"]["Password"] == "<redacted>"
    assert push_entry["body"]["Passkey"] == "<redacted>"
    assert DEFAULT_PASSKEY not in json.dumps(sim.request_log())
    assert push_entry["body"]["AccountReference"] == "HOTSPOT-1H"
    assert push_entry["scenario"] == "paid"
    later = sim.request_log(after=push_entry["seq"])
    assert all(e["kind"] == "callback" for e in later)
    assert caller.http.get("/sim/requests", params={"after": "x"}).status_code == 400


def test_reset_forgets_everything_and_cancels_pending_callbacks(
    receiver: CallbackReceiver,
) -> None:
    # The first push's callback is still two seconds away when the reset comes, even on a
    # busy PC: had the reset not cancelled it, it would arrive before the second one.
    with (
        running_simulator(callback_delay_s=2.0) as sim,
        httpx.Client(base_url=sim.base_url) as http,
    ):
        caller = DarajaCaller(http)
        token = caller.token()
        assert caller.push(token, caller.push_body("254708374149", receiver.url())).is_success
        sim.reset()
        assert sim.request_log() == []
        assert http.get("/sim/pushes").json()["items"] == []
        # The token went with the reset.
        assert caller.query(token, "ws_CO_x").status_code == 404
        new_token = caller.token()
        second = caller.push(new_token, caller.push_body("254708374149", receiver.url()))
        (received,) = receiver.wait_for(1)
        # The first callback would have come first: it was cancelled by the reset.
        callback = received.body["Body"]["stkCallback"]
        assert callback["CheckoutRequestID"] == second.json()["CheckoutRequestID"]


def test_markdown_table_lists_every_phone() -> None:
    table = scenario_table_markdown()
    for phone, scenario in SCENARIO_PHONES.items():
        assert f"`{phone}` | `{scenario.name}`" in table
