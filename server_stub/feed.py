"""Wakes long-polling feed readers when their provider's payments change (no polling loops)."""

from __future__ import annotations

import asyncio


class FeedNotifier:
    """One event per provider, replaced each time it fires."""

    def __init__(self) -> None:
        self._events: dict[int, asyncio.Event] = {}

    def current(self, provider_id: int) -> asyncio.Event:
        """The event the next change of this provider will set; take it before reading."""
        event = self._events.get(provider_id)
        if event is None:
            event = self._events[provider_id] = asyncio.Event()
        return event

    def notify(self, provider_id: int) -> None:
        """A change was committed: wake every reader of this provider."""
        event = self._events.pop(provider_id, None)
        if event is not None:
            event.set()
