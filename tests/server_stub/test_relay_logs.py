"""Logs an operator can act on: the refused callback's source address, JSON lines with a
request id and the caller's real address behind a proxy, and no callback token anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.server_stub.stores import running_relay

TOKEN = "t" * 43
CALLBACK = json.dumps(
    {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "29115-34620561-1",
                "CheckoutRequestID": "ws_CO_191220191020363925",
                "ResultCode": 1032,
                "ResultDesc": "Request cancelled by user",
            }
        }
    }
)
BEHIND_A_PROXY = {"TRUSTED_PROXIES": "127.0.0.1", "CALLBACK_ALLOWED_IPS": "196.201.214.200"}


def refused_callback(base_url: str) -> httpx.Response:
    """A callback from an address outside the allow-list, through the local proxy."""
    return httpx.post(
        f"{base_url}/payments/callback/1/{TOKEN}/",
        content=CALLBACK,
        headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"},
        timeout=10,
    )


@pytest.mark.parametrize("shape", ["text", "json"])
def test_a_refused_callback_names_its_source(tmp_path: Path, shape: str) -> None:
    env = {**BEHIND_A_PROXY, "RELAY_LOG_FORMAT": shape}
    with running_relay(tmp_path, env) as relay:
        answer = refused_callback(relay.base_url)
        relay.stop()
        log = relay.log_text()
    assert answer.status_code == 403
    assert "Callback for provider 1 from 203.0.113.9: source_refused" in log
    assert TOKEN not in log
    if shape == "text":
        return
    lines = [line for line in log.splitlines() if not line.startswith("bucket-relay:")]
    records = [json.loads(line) for line in lines]  # every log line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(records[0])
    request_id = answer.headers["x-request-id"]
    mine = [record for record in records if record.get("request_id") == request_id]
    messages = [record["message"] for record in mine]
    assert "Callback for provider 1 from 203.0.113.9: source_refused" in messages
    assert any("403" in message for message in messages)  # the access line, same request id
    assert {record["client"] for record in mine} == {"203.0.113.9"}


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_not_believed(tmp_path: Path) -> None:
    env = {"RELAY_LOG_FORMAT": "json", "CALLBACK_ALLOWED_IPS": "196.201.214.200"}
    with running_relay(tmp_path, env) as relay:
        answer = refused_callback(relay.base_url)
        relay.stop()
        log = relay.log_text()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    mine = [r for r in records if r.get("request_id") == answer.headers["x-request-id"]]
    assert mine and {record["client"] for record in mine} == {"127.0.0.1"}
    assert "Callback for provider 1 from 127.0.0.1: source_refused" in log
