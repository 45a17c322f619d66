"""Every scenario end to end: push, callback to a real receiver, queries before and after."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sim_helpers import (
    PATIENT,
    CallbackReceiver,
    DarajaCaller,
    assert_daraja_error,
    password,
    timestamp_now,
    wait_until,
)

from server_stub.daraja_sim.scenarios import (
    DEFAULT_PASSKEY,
    DEFAULT_STORE_NUMBER,
    DEFAULT_TILL_NUMBER,
)
from server_stub.daraja_sim.testing import FAST_TIMINGS, RunningSimulator, running_simulator

RECEIPT = re.compile(r"[A-Z]{2}[A-Z0-9]{8}")
# The query says paid after callback_delay_s; the late callback comes this long after the push.
# The gap leaves room for a busy PC to see the query's answer before the callback arrives.
LATE = dict(FAST_TIMINGS) | {"late_callback_delay_s": 3.0}


@contextmanager
def own_simulator(timings: Mapping[str, float]) -> Iterator[DarajaCaller]:
    """A caller against a simulator of its own, with these timings."""
    with (
        running_simulator(**timings) as sim,
        httpx.Client(base_url=sim.base_url, timeout=5.0) as http,
    ):
        yield DarajaCaller(http)


@pytest.fixture
def patient_caller() -> Iterator[DarajaCaller]:
    """A caller against a simulator whose customers take two seconds to answer (PATIENT)."""
    with own_simulator(PATIENT) as caller:
        yield caller


def stk_callback(received: Any) -> dict[str, Any]:
    callback: dict[str, Any] = received.body["Body"]["stkCallback"]
    return callback


def metadata(callback: dict[str, Any]) -> dict[str, Any]:
    return {item["Name"]: item.get("Value") for item in callback["CallbackMetadata"]["Item"]}


def push_ok(caller: DarajaCaller, token: str, phone: str, url: str, **extra: Any) -> str:
    response = caller.push(token, caller.push_body(phone, url, **extra))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ResponseCode"] == "0"
    assert body["ResponseDescription"] == "Success. Request accepted for processing"
    assert set(body) == {
        "MerchantRequestID",
        "CheckoutRequestID",
        "ResponseCode",
        "ResponseDescription",
        "CustomerMessage",
    }
    assert body["CheckoutRequestID"].startswith("ws_CO_")
    checkout: str = body["CheckoutRequestID"]
    return checkout


def assert_pending(response: httpx.Response) -> None:
    assert_daraja_error(response, 500, "500.001.1001", "The transaction is being processed")


def assert_final(response: httpx.Response, checkout: str, code: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["ResultCode"] == code
    assert body["CheckoutRequestID"] == checkout
    assert body["ResponseCode"] == "0"
    assert all(isinstance(value, str) for value in body.values())
    return body


def test_paid_push_query_pending_then_callback_then_paid(
    patient_caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    caller = patient_caller
    token = caller.token()
    pushed_at = time.monotonic()
    checkout = push_ok(caller, token, "254708374149", receiver.url(), Amount=25)
    assert_pending(caller.query(token, checkout))
    (received,) = receiver.wait_for(1)
    assert received.at - pushed_at >= PATIENT["callback_delay_s"] - 0.05
    assert received.path == "/callback/demo/t0k3n/"
    callback = stk_callback(received)
    assert callback["CheckoutRequestID"] == checkout
    assert callback["ResultCode"] == 0
    assert callback["ResultDesc"] == "The service request is processed successfully."
    items = metadata(callback)
    assert list(items) == [
        "Amount",
        "MpesaReceiptNumber",
        "Balance",
        "TransactionDate",
        "PhoneNumber",
    ]
    assert items["Amount"] == 25.0 and isinstance(items["Amount"], float)
    assert RECEIPT.fullmatch(items["MpesaReceiptNumber"])
    assert items["Balance"] is None
    assert isinstance(items["TransactionDate"], int) and len(str(items["TransactionDate"])) == 14
    assert items["PhoneNumber"] == 254708374149
    final = assert_final(caller.query(token, checkout), checkout, "0")
    assert final["MerchantRequestID"] == callback["MerchantRequestID"]


def test_till_push_uses_store_number_and_till(
    caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    token = caller.token()
    stamp = timestamp_now()
    checkout = push_ok(
        caller,
        token,
        "254712345678",
        receiver.url(),
        BusinessShortCode=DEFAULT_STORE_NUMBER,
        PartyB=DEFAULT_TILL_NUMBER,
        TransactionType="CustomerBuyGoodsOnline",
        Timestamp=stamp,
        Password=password(DEFAULT_STORE_NUMBER, DEFAULT_PASSKEY, stamp),
    )
    (received,) = receiver.wait_for(1)
    assert stk_callback(received)["ResultCode"] == 0
    query = caller.query(token, checkout, shortcode=DEFAULT_STORE_NUMBER)
    assert_final(query, checkout, "0")


@pytest.mark.parametrize(
    ("phone", "code", "desc"),
    [
        ("254700000001", 1, "The balance is insufficient for the transaction."),
        ("254700000002", 1032, "Request cancelled by user"),
        ("254700000005", 2001, "The initiator information is invalid."),
    ],
)
def test_failed_payments_call_back_without_metadata(
    caller: DarajaCaller, receiver: CallbackReceiver, phone: str, code: int, desc: str
) -> None:
    token = caller.token()
    checkout = push_ok(caller, token, phone, receiver.url())
    (received,) = receiver.wait_for(1)
    callback = stk_callback(received)
    assert callback["ResultCode"] == code
    assert callback["ResultDesc"] == desc
    assert "CallbackMetadata" not in callback
    final = assert_final(caller.query(token, checkout), checkout, str(code))
    assert final["ResultDesc"] == desc


@pytest.mark.parametrize(("phone", "code"), [("254700000003", 1037), ("254700000004", 1019)])
def test_unanswered_prompts_end_when_the_prompt_expires(
    patient_caller: DarajaCaller, receiver: CallbackReceiver, phone: str, code: int
) -> None:
    caller = patient_caller
    token = caller.token()
    pushed_at = time.monotonic()
    checkout = push_ok(caller, token, phone, receiver.url())
    assert_pending(caller.query(token, checkout))
    (received,) = receiver.wait_for(1)
    assert received.at - pushed_at >= PATIENT["prompt_lifetime_s"] - 0.05
    assert stk_callback(received)["ResultCode"] == code
    assert_final(caller.query(token, checkout), checkout, str(code))


def test_lost_callback_query_still_tells_the_truth(
    sim: RunningSimulator, caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    token = caller.token()
    checkout = push_ok(caller, token, "254700000006", receiver.url())
    wait_until(lambda: caller.query(token, checkout).status_code == 200)
    assert_final(caller.query(token, checkout), checkout, "0")
    withheld = caller.log("callback_withheld")
    assert [entry["checkout_request_id"] for entry in withheld] == [checkout]
    # Past the late-callback window nothing has been sent.
    time.sleep(sim.config.late_callback_delay_s)
    assert receiver.received == []
    assert caller.log("callback") == []


def test_duplicate_callback_is_sent_twice(caller: DarajaCaller, receiver: CallbackReceiver) -> None:
    token = caller.token()
    checkout = push_ok(caller, token, "254700000007", receiver.url())
    first, second = receiver.wait_for(2)
    assert first.body == second.body
    assert stk_callback(first)["CheckoutRequestID"] == checkout
    assert second.at - first.at >= FAST_TIMINGS["duplicate_gap_s"] - 0.05
    # The simulator logs an attempt after its POST has returned, so on a busy machine the
    # receiver can hold the second callback before the log holds it: wait for the entry.
    wait_until(lambda: len(caller.log("callback")) >= 2)
    assert [entry["attempt"] for entry in caller.log("callback")] == [1, 2]


@pytest.fixture
def late_caller() -> Iterator[DarajaCaller]:
    """A caller against a simulator whose late callbacks come well after the query's answer."""
    with own_simulator(LATE) as caller:
        yield caller


def test_late_callback_comes_after_the_query_already_says_paid(
    late_caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    caller = late_caller
    token = caller.token()
    pushed_at = time.monotonic()
    checkout = push_ok(caller, token, "254700000008", receiver.url())
    wait_until(lambda: caller.query(token, checkout).status_code == 200)
    assert receiver.received == []
    assert_final(caller.query(token, checkout), checkout, "0")
    (received,) = receiver.wait_for(1)
    assert received.at - pushed_at >= LATE["late_callback_delay_s"] - 0.05
    assert stk_callback(received)["ResultCode"] == 0


def test_callback_arrives_before_the_push_response(
    caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    token = caller.token()
    response = caller.push(token, caller.push_body("254700000009", receiver.url()))
    answered_at = time.monotonic()
    assert response.status_code == 200
    (received,) = receiver.wait_for(1, timeout=0)
    assert received.at < answered_at
    checkout = response.json()["CheckoutRequestID"]
    assert stk_callback(received)["CheckoutRequestID"] == checkout
    assert_final(caller.query(token, checkout), checkout, "0")
    kinds = [entry["kind"] for entry in caller.log() if entry["kind"] != "oauth"]
    assert kinds[:2] == ["callback", "stk_push"]


def test_query_disagrees_with_the_callback(
    caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    token = caller.token()
    checkout = push_ok(caller, token, "254700000010", receiver.url())
    (received,) = receiver.wait_for(1)
    assert stk_callback(received)["ResultCode"] == 0
    final = assert_final(caller.query(token, checkout), checkout, "1032")
    assert final["ResultDesc"] == "Request cancelled by user"


def test_server_error_after_the_prompt_still_calls_back(
    caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    token = caller.token()
    response = caller.push(token, caller.push_body("254700000011", receiver.url()))
    assert_daraja_error(response, 500, "500.003.1001", "Internal Server Error")
    (received,) = receiver.wait_for(1)
    callback = stk_callback(received)
    assert callback["ResultCode"] == 0
    (push_entry,) = caller.log("stk_push")
    assert push_entry["checkout_request_id"] == callback["CheckoutRequestID"]
    assert push_entry["status"] == 500


def test_spike_arrest_refuses_the_push(
    sim: RunningSimulator, caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    token = caller.token()
    response = caller.push(token, caller.push_body("254700000012", receiver.url()))
    assert_daraja_error(response, 500, "500.003.02", "Spike Arrest Violation")
    assert caller.http.get("/sim/pushes").json()["items"] == []
    time.sleep(sim.config.callback_delay_s + 0.1)
    assert receiver.received == []


def test_second_push_while_a_prompt_is_open_cannot_lock_the_subscriber(
    patient_caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    caller = patient_caller  # the first prompt stays open while the second push is sent
    token = caller.token()
    push_ok(caller, token, "254711111111", receiver.url())
    again = caller.push(token, caller.push_body("254711111111", receiver.url()))
    assert_daraja_error(
        again,
        500,
        "500.001.1001",
        "Unable to lock subscriber, a transaction is already in process for the current subscriber",
    )
    receiver.wait_for(1)
    body = caller.push_body("254711111111", receiver.url())
    wait_until(lambda: caller.push(token, body).is_success)


def test_buy_goods_on_a_paybill_fails_with_2028(
    caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    token = caller.token()
    checkout = push_ok(
        caller, token, "254708374149", receiver.url(), TransactionType="CustomerBuyGoodsOnline"
    )
    (received,) = receiver.wait_for(1)
    assert stk_callback(received)["ResultCode"] == 2028
    assert_final(caller.query(token, checkout), checkout, "2028")


def test_a_receiver_that_is_down_is_logged_and_the_simulator_carries_on(
    caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    token = caller.token()
    dead_url = "http://127.0.0.1:9/callback/"  # the discard port: nothing listens there
    push_ok(caller, token, "254708374149", dead_url)
    wait_until(lambda: len(caller.log("callback")) == 1)
    (entry,) = caller.log("callback")
    assert entry["delivered"] is False
    assert entry["error"] in {"ConnectError", "ConnectTimeout"}
    push_ok(caller, token, "254712345678", receiver.url())
    assert stk_callback(receiver.wait_for(1)[0])["ResultCode"] == 0


def test_a_receiver_answering_500_is_recorded(
    caller: DarajaCaller, receiver: CallbackReceiver
) -> None:
    receiver.status_code = 500
    token = caller.token()
    push_ok(caller, token, "254708374149", receiver.url())
    receiver.wait_for(1)
    wait_until(lambda: len(caller.log("callback")) == 1)
    (entry,) = caller.log("callback")
    assert entry["delivered"] is True and entry["status_code"] == 500
