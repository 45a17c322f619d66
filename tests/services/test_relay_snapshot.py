"""Reading a snapshot: items as they arrive, complete only with the closing line."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bucket_desktop.services.relay_errors import RelayUnavailable, RelayUnexpectedResponse
from bucket_desktop.services.relay_models import PaymentItem
from bucket_desktop.services.relay_snapshot import read_snapshot

ITEM = {
    "checkout_request_id": "ws_CO_1",
    "status": "paid",
    "phone_number": "254712345678",
    "amount": 10,
    "seq": 1,
}
END = {"cursor": 2, "store_id": "s-1", "head": 2, "plans_version": 0}


async def lines(*texts: str) -> AsyncIterator[str]:
    for text in texts:
        yield text


async def test_items_are_handed_over_line_by_line_and_the_end_gives_the_cursor() -> None:
    second = {**ITEM, "checkout_request_id": "ws_CO_2", "seq": 2}
    handed: list[list[dict[str, Any]]] = []
    end = await read_snapshot(
        lines(json.dumps([ITEM]), "", json.dumps([second]), json.dumps(END)),
        handed.append,
        "http://relay",
    )
    assert handed == [[ITEM], [second]]  # as sent: the payment book reads them
    assert (end.items, end.cursor, end.head, end.store_id) == ((), 2, 2, "s-1")


@pytest.mark.parametrize(
    ("texts", "error"),
    [
        ((json.dumps([ITEM]),), RelayUnavailable),  # cut off before the closing line
        (('[{"seq": 1',), RelayUnexpectedResponse),  # not JSON
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
