"""Payments page while a new desk catches up: batches of thousands join the table together."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from bucket_desktop.services.payment_feed import FeedState
from bucket_desktop.services.plans import default_plans
from bucket_desktop.services.relay_models import PaymentItem
from bucket_desktop.ui.payments.payments_page import LARGE_BATCH
from bucket_desktop.ui.shell.counter_pages import CounterPages, build_counter_pages
from tests.services.test_payment_book import NOW, item


@pytest.fixture(name="pages")
def signed_out_pages(qtbot: QtBot, run: Callable[..., Any]) -> Iterator[CounterPages]:
    pages = build_counter_pages(plans=default_plans(), with_tray=False)
    pages.payments_view.resize(1024, 600)
    pages.payments_view.show()
    yield pages
    run(pages.close())
    for view in (pages.charge_view, pages.stk_status_view, pages.payments_view):
        view.close()
        view.deleteLater()


def batch(first: int, count: int = LARGE_BATCH * 5) -> tuple[PaymentItem, ...]:
    """Payments numbered from `first`, each newer than the one before (a snapshot's line)."""
    return tuple(item(f"p{n}", n, created=NOW - 100_000 + n) for n in range(first, first + count))


def test_the_first_rows_show_at_once_and_later_batches_together(
    qtbot: QtBot, pages: CounterPages
) -> None:
    live, model = pages.live, pages.payments.model
    live.apply_items(batch(1))
    assert model.rowCount() == 500  # the first rows are on screen at once
    live.apply_items(batch(501))
    live.apply_items(batch(1001))
    assert model.rowCount() == 500  # waiting, to be painted once for both
    qtbot.waitUntil(lambda: model.rowCount() == 1500)
    order = [model.row_at(n).checkout_request_id for n in (0, 1, 1499)]  # type: ignore[union-attr]
    assert order == ["p1500", "p1499", "p1"]
    assert pages.payments_view.count_label.text() == "1,500 payments"
    live.apply_items((item("one", 2000, created=NOW),))
    assert model.rowCount() == 1501  # a single new payment, as ever, at once
    assert model.row_at(0).checkout_request_id == "one"  # type: ignore[union-attr]


def test_the_rest_shows_the_moment_the_feed_is_live(qtbot: QtBot, pages: CounterPages) -> None:
    live, model = pages.live, pages.payments.model
    live.apply_items(batch(1))
    live.apply_items(batch(501))
    live.apply_items((item("small", 1001, created=NOW),))  # behind the waiting batch: in order
    assert model.rowCount() == 500
    live.connection_changed.emit("live", "Live: new payments appear as they arrive.")
    assert model.rowCount() == 1001
    assert model.row_at(0).checkout_request_id == "small"  # type: ignore[union-attr]


def test_a_search_typed_meanwhile_shows_every_waiting_payment_it_matches(
    qtbot: QtBot, pages: CounterPages
) -> None:
    live, model = pages.live, pages.payments.model
    live.apply_items(batch(1))
    live.apply_items(batch(501))
    pages.payments_view.search_edit.setText("p77")
    pages.payments.apply_filter()
    assert sorted(model.row_at(n).checkout_request_id for n in range(model.rowCount())) == [  # type: ignore[union-attr]
        "p77",
        "p770",
        "p771",
        "p772",
        "p773",
        "p774",
        "p775",
        "p776",
        "p777",
        "p778",
        "p779",
    ]
    live.apply_items((item("p7700", 1001, created=NOW),))  # nothing waits before it now
    assert model.rowCount() == 12


def test_search_texts_are_built_in_steps_once_live_and_a_search_finds_the_same(
    qtbot: QtBot, pages: CounterPages
) -> None:
    live = pages.live
    live.apply_items(batch(1))
    live.apply_items(batch(2501))
    live.apply_items((item("late", 6000, created=NOW - 200_000, receipt="SKLLATE"),))  # oldest
    assert not live.book.search_ready  # a catch-up leaves the search texts for later
    live._on_state(FeedState.LIVE, "Live: new payments appear as they arrive.")
    qtbot.waitUntil(lambda: live.book.search_ready)
    pages.payments_view.search_edit.setText("p2999")
    pages.payments.apply_filter()
    found = [pages.payments.model.row_at(n) for n in range(pages.payments.model.rowCount())]
    assert [row.checkout_request_id for row in found if row] == ["p2999"]
    pages.payments_view.search_edit.setText("sklLATE")
    pages.payments.apply_filter()
    assert pages.payments.model.rowCount() == 1
