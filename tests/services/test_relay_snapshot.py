"""Reading a snapshot: items as they arrive, complete only with the closing line."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bucket_desktop.services.relay_errors import RelayUnavailable, RelayUnexpectedResponse
from bucket_desktop.services.relay_models import PaymentItem
from bucket_desktop.services.relay_snapshot import byte_lines, read_snapshot

ITEM = {
    "checkout_request_id": "ws_CO_1",
    "status": "paid",
    "phone_number": "254712345678",
    "amount": 10,
    "seq": 1,
}
END = {"cursor": 2, "store_id": "s-1", "head": 2, "plans_version": 0}


async def lines(*texts: str, size: int = 7) -> AsyncIterator[bytes]:
    """The lines as a body arrives: bytes cut every `size` bytes, wherever that falls."""
    body = "\n".join(texts).encode("utf-8", "surrogateescape") + b"\n"  # \udcff: byte ff
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((b"ab\ncd\n",), [b"ab", b"cd"]),
        ((b"a", b"b\nc", b"", b"d\n\n", b"e"), [b"ab", b"cd", b"", b"e"]),  # no last newline
        ((b"[1]\r\n", b"\n[2]"), [b"[1]\r", b"", b"[2]"]),  # \r is JSON's blank, read as such
        ((), []),
    ],
)
async def test_a_body_is_cut_into_its_lines_wherever_its_chunks_end(
    parts: tuple[bytes, ...], expected: list[bytes]
) -> None:
    assert [line async for line in byte_lines(chunks(*parts))] == expected


async def test_items_are_handed_over_line_by_line_and_the_end_gives_the_cursor() -> None:
    second = {**ITEM, "checkout_request_id": "ws_CO_2", "seq": 2}
    handed: list[list[dict[str, Any]]] = []
    end = await read_snapshot(
        lines(json.dumps([ITEM]), "", json.dumps([second]), json.dumps(END)),
        handed.append,
        "http://relay",
    )
    assert handed == [[ITEM], [second]]  # as sent: the payment book reads them
    crlf = await read_snapshot(
        lines(f"{json.dumps([ITEM])}\r", json.dumps(END), size=1000), lambda items: None, "r"
    )
    assert crlf.cursor == 2
    assert (end.items, end.cursor, end.head, end.store_id) == ((), 2, 2, "s-1")


@pytest.mark.parametrize(
    ("texts", "error"),
    [
        ((json.dumps([ITEM]),), RelayUnavailable),  # cut off before the closing line
        (('[{"seq": 1',), RelayUnexpectedResponse),  # not JSON
        (('["\udcff"]',), RelayUnexpectedResponse),  # not UTF-8
        (("42",), RelayUnexpectedResponse),  # neither items nor the end
        ((json.dumps(END), json.dumps([ITEM])), RelayUnexpectedResponse),  # items after the end
    ],
)
async def test_an_incomplete_or_unreadable_snapshot_is_an_error(
    texts: tuple[str, ...], error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        await read_snapshot(lines(*texts), lambda items: None, "http://relay")
    assert str(raised.value)


def test_items_are_read_leniently_field_by_field() -> None:
    item = PaymentItem.from_json(
        {
            **ITEM,
            "merchant_request_id": 42,  # a number: read as its text
            "account_reference": "   ",  # blank: none
            "transaction_desc": ["not", "text"],
            "amount": "15",
            "seq": True,  # not a number
            "result_code": 0,
            "sent_by": {"token_id": 3, "name": "Front desk"},
            "plan": {"name": "1 hour"},
            "confirmation": "maybe",  # unknown: none
            "purpose": "test",
        }
    )
    assert (item.merchant_request_id, item.account_reference, item.transaction_desc) == (
        "42",
        None,
        None,
    )
    assert (item.amount, item.seq, item.result_code) == (15, None, "0")
    assert (item.sent_by, item.plan_name, item.confirmation, item.is_test) == (
        "Front desk",
        "1 hour",
        None,
        True,
    )
    with pytest.raises(RelayUnexpectedResponse):
        PaymentItem.from_json({**ITEM, "status": " "})
