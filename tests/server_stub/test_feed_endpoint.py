"""The feed's fast path answers exactly as the FastAPI route it bypasses (issue 21)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from server_stub.app import RelayApp
from server_stub.payments.settlement import StkResult
from tests.server_stub.inprocess import new_provider, relay_in_process, relay_settings, seed_pushes

FEED = "/payments/bucket/payments/"


async def _answers(tmp_path: Path, *, fast: bool) -> list[tuple[int, Any, str]]:
    """Status, body and content type of a row of good and bad feed requests."""
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        app = relay.app
        assert isinstance(app, RelayApp)
        if not fast:
            app.feed = None  # every feed request through FastAPI's route
        provider = await new_provider(settings)
        token = {"Authorization": f"Token {provider['attendant_token']}"}
        pushes = await seed_pushes(relay.store, provider["provider_id"], 5)
        # Settling the first push gives it a new feed number: its row is now the newest change.
        store, provider_id = relay.store, provider["provider_id"]
        first = await store.get_payment(provider_id, pushes[0].checkout_request_id)
        assert first is not None
        cancelled = StkResult("1032", "cancelled", first.checkout_request_id)
        await store.apply_query(first.id, cancelled, next_query_at=None, now=time.time())
        requests: list[tuple[str, dict[str, str]]] = [
            (f"{FEED}?after=0&limit=500", token),
            (f"{FEED}?after=2&limit=2", token),
            (f"{FEED}?after=6", token),  # caught up
            (f"{FEED}?after=99", token),  # a cursor from another history: answered at once
            (f"{FEED}?after=-1", token),
            (f"{FEED}?limit=0", token),
            (f"{FEED}?wait=x", token),
            (f"{FEED}?sort=seq", token),  # not a parameter of this route
            (FEED, {}),
            (FEED, {"Authorization": "Token not-a-token"}),
            (FEED, {"Authorization": f"Token {provider['owner_token']}"}),
            (FEED.rstrip("/"), token),  # no slash: not the route
        ]
        answers = []
        for path, headers in requests:
            answer = await relay.client.get(path, headers=headers)
            assert answer.headers.get("x-request-id")
            body = answer.json() if answer.content else None
            answers.append((answer.status_code, body, answer.headers.get("content-type", "")))
        wrong_method = await relay.client.post(FEED, headers=token)
        answers.append((wrong_method.status_code, wrong_method.json(), ""))
        return answers


async def test_fast_path_answers_as_the_route_does(tmp_path: Path) -> None:
    fast = await _answers(tmp_path / "fast", fast=True)
    route = await _answers(tmp_path / "route", fast=False)
    # The store identity and the times differ between the two relays; nothing else may.
    assert [_without_ids_and_times(a) for a in fast] == [_without_ids_and_times(a) for a in route]
    assert [status for status, _, _ in fast] == [200, 200, 200, 200, 400, 400, 400, 400, 401,
                                                 401, 200, 307, 405]  # fmt: skip
    whole = fast[0][1]
    # Oldest change first, the re-numbered payment last; the cursor is its number.
    assert [item["seq"] for item in whole["items"]] == [2, 3, 4, 5, 6]
    assert whole["items"][-1]["status"] == "cancelled"
    assert (whole["cursor"], whole["head"]) == (6, 6)
    assert [item["seq"] for item in fast[1][1]["items"]] == [3, 4]
    assert (fast[2][1]["items"], fast[2][1]["cursor"]) == ([], 6)
    assert (fast[3][1]["items"], fast[3][1]["head"]) == ([], 6)


def _without_ids_and_times(answer: tuple[int, Any, str]) -> tuple[int, Any, str]:
    status, body, content_type = answer
    if isinstance(body, dict) and "items" in body:
        items = [{k: v for k, v in item.items() if not k.endswith("_at")} for item in body["items"]]
        body = {**body, "items": items, "store_id": None}
    return status, body, content_type


async def test_an_unexpected_failure_is_a_500_error_answer(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        provider = await new_provider(settings)

        async def broken(*_: object, **__: object) -> None:
            raise KeyError("a bug")

        relay.store.feed_chunk = broken  # type: ignore[method-assign]
        transport = httpx.ASGITransport(app=relay.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://relay.test") as client:
            answer = await client.get(
                FEED, headers={"Authorization": f"Token {provider['attendant_token']}"}
            )
        assert answer.status_code == 500
        assert answer.json()["error"]["code"] == "internal"
        assert answer.headers.get("x-request-id")
