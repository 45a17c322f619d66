"""`read_body`: a body already there is read at once, one still arriving under its deadline."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Message, Receive

from server_stub.api.bodies import read_body
from server_stub.errors import ClientGone, RelayError


def _receiver(*messages: Message, ready: asyncio.Event | None = None) -> Receive:
    queue = list(messages)

    async def receive() -> Message:
        if ready is not None:
            await ready.wait()
        return queue.pop(0)

    return receive


def _part(body: bytes, more: bool = False) -> Message:
    return {"type": "http.request", "body": body, "more_body": more}


async def test_a_body_already_there_is_read_whole() -> None:
    assert await read_body(_receiver(_part(b'{"a": 1}')), "8", 100, 5.0) == (b'{"a": 1}', False)


async def test_a_body_over_the_cap_is_cut_at_it() -> None:
    assert await read_body(_receiver(_part(b"x" * 10)), "", 4, 5.0) == (b"xxxx", True)
    parts = _receiver(_part(b"xxx", more=True), _part(b"xxx"))
    assert await read_body(parts, "", 4, 5.0) == (b"xxxx", True)


async def test_a_declared_length_over_the_cap_reads_nothing() -> None:
    assert await read_body(_receiver(), "5000", 4096, 5.0) == (b"", True)


async def test_a_body_in_parts_is_joined() -> None:
    parts = _receiver(_part(b"ab", more=True), _part(b"cd", more=True), _part(b"e"))
    assert await read_body(parts, "", 100, 5.0) == (b"abcde", False)


async def test_a_body_still_arriving_is_awaited() -> None:
    ready = asyncio.Event()
    reading = asyncio.create_task(read_body(_receiver(_part(b"late"), ready=ready), "", 100, 5.0))
    await asyncio.sleep(0)
    assert not reading.done()
    ready.set()
    assert await reading == (b"late", False)


async def test_a_body_that_never_arrives_times_out() -> None:
    never = _receiver(_part(b"never"), ready=asyncio.Event())
    with pytest.raises(RelayError) as refused:
        await read_body(never, "", 100, 0.05)
    assert refused.value.status == 408
    assert refused.value.code == "body_timeout"


async def test_a_client_gone_before_its_body_is_said_so() -> None:
    gone = _receiver({"type": "http.disconnect"})
    with pytest.raises(ClientGone):
        await read_body(gone, "", 100, 5.0)
    parts = _receiver(_part(b"ab", more=True), {"type": "http.disconnect"})
    with pytest.raises(ClientGone):
        await read_body(parts, "", 100, 5.0)


async def test_a_plain_awaitable_receive_is_read_too() -> None:
    # Not a coroutine (a future): read under the deadline as before.
    future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
    future.set_result(_part(b"done"))
    assert await read_body(lambda: future, "", 100, 5.0) == (b"done", False)
