"""Retry now takes any code a desk shows: an access code or an imported voucher's own code."""

from __future__ import annotations

from pathlib import Path

from tests.server_stub.inprocess import new_provider, relay_in_process, relay_settings


async def test_voucher_codes_with_punctuation_reach_the_retry_route(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        provider = await new_provider(settings)
        desk = {"Authorization": f"Token {provider['attendant_token']}"}
        answers = {
            code: await relay.client.post(f"/payments/bucket/access/{code}/retry/", headers=desk)
            for code in ("ABCD2345", "WIFI-2H-0042", "mk_7%2E1")
        }
        spaced = await relay.client.post("/payments/bucket/access/AB%20CD/retry/", headers=desk)
    # Unknown here, but never refused for its shape: a voucher imported from Mikhmon may hold "-".
    assert {code: answer.status_code for code, answer in answers.items()} == {
        "ABCD2345": 404,
        "WIFI-2H-0042": 404,
        "mk_7%2E1": 404,
    }
    assert all(answer.json()["error"]["code"] == "not_found" for answer in answers.values())
    assert spaced.status_code == 400 and spaced.json()["error"]["field"] == "code"
