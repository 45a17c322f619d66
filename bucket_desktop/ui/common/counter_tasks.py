"""Keeps strong references to the asyncio tasks a controller starts, and cancels them on close."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


class TaskSet:
    """asyncio holds tasks weakly: a task nobody references can vanish mid-flight."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def adopt_current(self) -> None:
        """Keep the running task (an @asyncSlot body) until it ends."""
        task = asyncio.current_task()
        if task is not None:
            self._keep(task)

    def start(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a coroutine as a task and keep it until it ends."""
        task = asyncio.ensure_future(coroutine)
        self._keep(task)
        return task

    async def cancel_all(self) -> None:
        """Cancel every task still running and wait for them to finish."""
        tasks = [task for task in self._tasks if not task.done()]
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def wait_all(self) -> None:
        """Wait for every task still running to end on its own."""
        tasks = [task for task in self._tasks if not task.done()]
        await asyncio.gather(*tasks, return_exceptions=True)

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
