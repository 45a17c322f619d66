"""Starting a push: the placeholder shown until the feed brings the relay's version."""

from __future__ import annotations

from typing import Any

from bucket_desktop.services.payment_book import PaymentBook
from bucket_desktop.services.pushes import PushForm, start_push
from bucket_desktop.services.relay_models import InitiatedPush


class Answering:
    """A relay whose initiate answers with `status` (a callback can beat the answer)."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.asked: dict[str, Any] = {}

    async def initiate(self, **fields: Any) -> InitiatedPush:
        self.asked = fields
        return InitiatedPush("ws_CO_1", "MR_1", "Success", self.status)


async def test_a_push_already_paid_shows_as_confirming_until_the_feed_says_more() -> None:
    relay = Answering("paid")
    item = await start_push(relay, PushForm("254708374149", 10, "WIFI1H", "WiFi 1 hour", 7))
    assert relay.asked["plan_id"] == 7 and relay.asked["idempotency_key"]
    book = PaymentBook()
    row = book.add_local(item)
    assert row.status.value == "paid" and row.confirmation == "pending"
    assert not row.is_confirmed


async def test_a_pending_push_has_no_confirmation_yet() -> None:
    item = await start_push(Answering("pending"), PushForm("254708374149", 10, "A", "B"))
    assert (item.status, item.confirmation, item.access) == ("pending", None, None)
