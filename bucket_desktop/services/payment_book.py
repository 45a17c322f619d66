"""All payments the counter pages know, keyed by checkout request ID, newest first on request.

Qt-free and built for 100,000 rows: each row is parsed once, searches scan lower-case text
built for each row on the first search, and feed updates change rows in place so views can
keep their references.
"""

from __future__ import annotations

import bisect
import operator
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from bucket_desktop.services.access.online import paid_not_online
from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_rows import LocalDays, PaymentRow, row_from_item
from bucket_desktop.services.payment_rows_json import row_from_json
from bucket_desktop.services.relay_models import PaymentItem

_PHONE_LIKE = re.compile(r"\+?[\d][\d \-]*")
_PHONE_SEPARATORS = re.compile(r"[ \-]")
_PAID = PaymentStatus.PAID  # read once: an enum member looked up on its class costs a call


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    """What the Payments page shows: a search text, some statuses, a range of days."""

    text: str = ""
    statuses: frozenset[PaymentStatus] | None = None  # None: every status
    first_day: date | None = None
    last_day: date | None = None
    not_online: bool = False  # only paid sales whose customer may not be online yet

    def needles(self) -> tuple[str, ...]:
        """The lower-case texts to look for; a number typed as 07... also matches 2547..."""
        text = self.text.strip().lower()
        if _PHONE_LIKE.fullmatch(text):
            return (_PHONE_SEPARATORS.sub("", text).lstrip("+"),)
        return tuple(text.split())

    def accepts(self, row: PaymentRow, needles: tuple[str, ...]) -> bool:
        """True when the row passes every part of the filter."""
        if self.statuses is not None and row.status not in self.statuses:
            return False
        if self.first_day is not None and row.day < self.first_day:
            return False
        if self.last_day is not None and row.day > self.last_day:
            return False
        if self.not_online and not paid_not_online(row):
            return False
        return all(needle in row.haystack for needle in needles)


@dataclass(slots=True)
class BookChange:
    """What one batch of feed items did to the book."""

    added: list[PaymentRow] = field(default_factory=list)
    updated: list[PaymentRow] = field(default_factory=list)
    newly_paid: list[PaymentRow] = field(default_factory=list)
    # Shown as paid before, now disputed: access may already have been given (issue 12).
    newly_disputed: list[PaymentRow] = field(default_factory=list)
    top_seq: int = 0  # the highest feed seq among the items, changed or not (0: none)

    def __bool__(self) -> bool:
        return bool(self.added or self.updated)


@dataclass(frozen=True, slots=True)
class DayTotal:
    """Money received (paid payments only) on one day."""

    day: date
    amount: int
    count: int


# Oldest first; the ID breaks ties. attrgetter keeps sorting 100,000 rows in C.
_sort_key: Callable[[PaymentRow], tuple[float, str]] = operator.attrgetter(
    "created", "checkout_request_id"
)
_seq_of: Callable[[PaymentRow], int] = operator.attrgetter("seq")


class PaymentBook:
    """In-memory payments; `apply` is idempotent, so a replayed feed page changes nothing."""

    def __init__(self, *, tz: tzinfo | None = None, clock: Callable[[], float] = time.time) -> None:
        self._tz = tz
        self.days = LocalDays(tz)
        self._clock = clock
        self._by_id: dict[str, PaymentRow] = {}
        self._rows: list[PaymentRow] = []  # oldest first, by creation time
        # Paid sales by local day, [amount, count], kept up to date as rows arrive and change:
        # the figures are asked for after every feed batch, and a scan of 100,000 rows each
        # time made a new desk's catch-up noticeably slower.
        self._sales: dict[date, list[int]] = {}
        self._prepared = 0  # rows from the oldest whose search text `prepare_search` built

    @property
    def search_ready(self) -> bool:
        """Whether `prepare_search` has been over every row (a search builds what it lacks)."""
        return self._prepared >= len(self._rows)

    def prepare_search(self, limit: int) -> bool:
        """Build the search texts of up to `limit` more rows ahead of a search; True while
        rows are left.

        A new desk's catch-up leaves each row's search text to the first search that reads it
        (PaymentRow.haystack), which would then build 100,000 at once: the pages call this in
        small steps once the feed is live instead. Rows that arrive later in the middle of the
        order may be passed over; a search builds theirs.
        """
        rows = self._rows
        end = min(self._prepared + limit, len(rows))
        for row in rows[self._prepared : end]:
            row.prepare_search()
        self._prepared = end
        return end < len(rows)

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, checkout_request_id: str) -> PaymentRow | None:
        """The payment with that checkout request ID, if known."""
        return self._by_id.get(checkout_request_id)

    def today(self) -> date:
        """The shop's current calendar day."""
        return datetime.fromtimestamp(self._clock(), self._tz).date()

    def apply(self, items: Iterable[PaymentItem]) -> BookChange:
        """Merge feed items: new ones are added, newer versions update, stale repeats ignored."""
        now = self._clock()
        return self._merge([row_from_item(item, received_at=now, days=self.days) for item in items])

    def apply_json(self, items: Iterable[dict[str, Any]]) -> BookChange:
        """Merge feed items as the relay sent them (a snapshot's lines), read straight into rows.

        Every item is read before any is merged: an unreadable one changes nothing.
        """
        now, days = self._clock(), self.days
        return self._merge([row_from_json(item, received_at=now, days=days) for item in items])

    def _merge(self, incoming_rows: list[PaymentRow]) -> BookChange:
        change = BookChange()
        if not incoming_rows:
            return change
        change.top_seq = max(0, max(map(_seq_of, incoming_rows)))
        by_id = self._by_id
        added, newly_paid = change.added, change.newly_paid
        for incoming in incoming_rows:
            known = by_id.get(incoming.checkout_request_id)
            if known is None:
                by_id[incoming.checkout_request_id] = incoming
                added.append(incoming)
                if incoming.status is _PAID:
                    newly_paid.append(incoming)
                    self._count_sale(incoming, 1)
            elif incoming.seq > known.seq:
                was_paid = known.status is _PAID
                self._count_sale(known, -1)
                known.update_from(incoming)
                self._count_sale(known, 1)
                change.updated.append(known)
                if known.status is _PAID and not was_paid:
                    newly_paid.append(known)
                elif known.status is PaymentStatus.DISPUTED and was_paid:
                    change.newly_disputed.append(known)
        self._insert(list(added))  # sorted in place: `added` keeps the feed's order
        return change

    def load_rows(self, rows: list[PaymentRow]) -> None:
        """Add saved rows (the local cache); rows already known are skipped."""
        fresh = [row for row in rows if row.checkout_request_id not in self._by_id]
        for row in fresh:
            self._by_id[row.checkout_request_id] = row
            self._count_sale(row, 1)
        self._insert(fresh)

    def _count_sale(self, row: PaymentRow, sign: int) -> None:
        if row.status is _PAID and not row.is_test:  # row.is_sale, without a property call
            day = self._sales.get(row.day)
            if day is None:
                day = self._sales[row.day] = [0, 0]
            day[0] += sign * row.amount
            day[1] += sign

    def add_local(self, item: PaymentItem) -> PaymentRow:
        """Show a push the moment the relay accepts it; the feed's version (seq > 0) replaces it."""
        known = self._by_id.get(item.checkout_request_id)
        if known is not None:
            return known
        return self.apply([item]).added[0]

    def _insert(self, fresh: list[PaymentRow]) -> None:
        if not fresh:
            return
        fresh.sort(key=_sort_key)
        if not self._rows or _sort_key(fresh[0]) >= _sort_key(self._rows[-1]):
            # The usual case, including the first load: the feed brings newer payments.
            self._rows.extend(fresh)
        elif len(fresh) <= 64:
            for row in fresh:
                bisect.insort(self._rows, row, key=_sort_key)
        else:
            self._rows.extend(fresh)
            self._rows.sort(key=_sort_key)

    def newest_first(self, wanted: PaymentFilter | None = None) -> list[PaymentRow]:
        """The rows passing the filter, newest first."""
        rows = self._rows[::-1]
        if wanted is None:
            return rows
        # What `wanted.accepts` checks, one condition at a time over the rows still in: a
        # method call per row made each search of 100,000 payments take about 70 ms.
        if wanted.statuses is not None:
            statuses = wanted.statuses
            rows = [row for row in rows if row.status in statuses]
        if wanted.first_day is not None:
            first_day = wanted.first_day
            rows = [row for row in rows if row.day >= first_day]
        if wanted.last_day is not None:
            last_day = wanted.last_day
            rows = [row for row in rows if row.day <= last_day]
        if wanted.not_online:
            rows = [row for row in rows if paid_not_online(row)]
        for needle in wanted.needles():
            # The first search builds each row's search text (see PaymentRow.haystack).
            rows = [row for row in rows if needle in row.haystack]
        return rows

    def pending_for_phone(self, phone: str) -> PaymentRow | None:
        """The newest push to this phone that is still waiting, if any."""
        for row in reversed(self._rows):
            if row.phone_number == phone and row.is_pending:
                return row
        return None

    def day_summary(self, day: date) -> DayTotal:
        """Paid total and count on one day (the owner's test prompts are not sales)."""
        amount, count = self._sales.get(day, (0, 0))
        return DayTotal(day, amount, count)

    def daily_totals(self, days: int = 30) -> list[DayTotal]:
        """Paid totals for each of the last `days` days, oldest first, today included."""
        first = self.today() - timedelta(days=days - 1)
        return [self.day_summary(first + timedelta(days=i)) for i in range(days)]
