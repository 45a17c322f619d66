"""Holds back the first answer of a relay call, so that tests can make fetches overlap."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest


class FirstAnswerHeld:
    """Wraps `owner.name` (an async method or module function) for the rest of the test.

    The first call fetches its answer for real, then waits for `release` (a slow link), so
    that a newer fetch, a sign-out or another choice can happen meanwhile. `answered` turns
    true in the step in which the caller takes that answer: once a test sees it, the page has
    dealt with the answer. With `when`, only calls whose arguments it accepts are counted and
    held (one request among others made through the same method).
    """

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        owner: object,
        name: str,
        when: Callable[..., bool] | None = None,
    ) -> None:
        self.release = asyncio.Event()
        self.asked = 0
        self.answered = False
        original = getattr(owner, name)

        async def held(*args: Any, **kwargs: Any) -> Any:
            if when is not None and not when(*args, **kwargs):
                return await original(*args, **kwargs)
            first = self.asked == 0
            self.asked += 1
            answer = await original(*args, **kwargs)
            if first:
                await self.release.wait()
                self.answered = True
            return answer

        monkeypatch.setattr(owner, name, held)
