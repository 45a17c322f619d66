"""The callback fast path answers exactly as the FastAPI route it bypasses (issue 21)."""

from __future__ import annotations

from pathlib import Path

import httpx

from server_stub.app import RelayApp
from tests.server_stub.inprocess import (
    as_bytes,
    failed_callback,
    new_provider,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)

JSON = {"Content-Type": "application/json"}


async def _answers(tmp_path: Path, *, fast: bool) -> tuple[list[tuple[int, bytes, str]], list]:
    """Status, body and content type of a row of good and bad callbacks, and stored outcomes."""
    settings = relay_settings(tmp_path, callback_max_bytes=2048)
    async with relay_in_process(settings) as relay:
        app = relay.app
        assert isinstance(app, RelayApp)
        if not fast:
            app.callbacks = None  # every callback through FastAPI's route
        provider = await new_provider(settings)
        pushes = await seed_pushes(relay.store, provider["provider_id"], 3)
        paid = as_bytes(paid_callback(pushes[0], "SBA1234567"))
        requests = [
            (pushes[0].callback_path, paid, JSON),
            (pushes[0].callback_path, paid, JSON),  # a duplicate
            (pushes[1].callback_path, as_bytes(failed_callback(pushes[1], 1032)), JSON),
            (pushes[2].callback_path, b'{"Body": {"Body": 1, "Body": 2}}', JSON),
            (pushes[2].callback_path, b"not json", JSON),
            (pushes[2].callback_path, paid, {"Content-Type": "text/plain"}),
            (pushes[2].callback_path, b"{" + b" " * 4096 + b"}", JSON),
            ("/payments/callback/x/unknown-token/", paid, JSON),
            (pushes[2].callback_path.rstrip("/"), paid, JSON),  # no slash: not the route
        ]
        answers = []
        for path, body, headers in requests:
            answer = await relay.client.post(path, content=body, headers=headers)
            assert answer.headers.get("x-request-id")
            answers.append(
                (answer.status_code, answer.content, answer.headers.get("content-type", ""))
            )
        wrong_method = await relay.client.get(pushes[2].callback_path)
        answers.append((wrong_method.status_code, wrong_method.content, ""))
        return answers, relay.store.raw_callback_outcomes()


async def test_fast_path_answers_and_stores_as_the_route_does(tmp_path: Path) -> None:
    fast, fast_outcomes = await _answers(tmp_path / "fast", fast=True)
    route, route_outcomes = await _answers(tmp_path / "route", fast=False)
    assert fast == route
    assert fast_outcomes == route_outcomes
    statuses = [status for status, _, _ in fast]
    assert statuses == [200, 200, 200, 400, 400, 415, 413, 200, 307, 405]
    assert fast_outcomes[:3] == [("1", "applied"), ("1", "duplicate"), ("1", "applied")]


async def test_an_unexpected_failure_is_a_500_error_answer(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        provider = await new_provider(settings)
        (push,) = await seed_pushes(relay.store, provider["provider_id"], 1)

        async def broken(*_: object, **__: object) -> None:
            raise KeyError("a bug")

        relay.services.inbox.receive = broken  # type: ignore[method-assign]
        transport = httpx.ASGITransport(app=relay.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://relay.test") as client:
            answer = await client.post(
                push.callback_path,
                content=as_bytes(paid_callback(push, "SBA7654321")),
                headers=JSON,
            )
        assert answer.status_code == 500
        assert answer.json()["error"]["code"] == "internal"
