"""The app's yes/no questions are awaited, never a nested event loop: while one is open (the
first relay key, sandbox values in Production, revoking a desk), the live feed keeps running."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from bucket_desktop.ui.common.dialog_helpers import ask_yes_no, confirmed


def open_box() -> QMessageBox | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            return widget
    return None


def test_a_question_inside_a_task_lets_other_tasks_run(
    qtbot: QtBot, run: Callable[..., Any], qloop: asyncio.AbstractEventLoop
) -> None:
    ticks: list[int] = []

    async def feed() -> None:  # stands in for the live payment feed
        while True:
            ticks.append(len(ticks))
            await asyncio.sleep(0.01)

    async def push() -> bool:  # a task that asks, like Push to relay
        return await confirmed(lambda t, q: ask_yes_no(t, q), "Compare the relay key", "Same?")

    background = asyncio.ensure_future(feed())
    for answer, expected in ((QMessageBox.StandardButton.Yes, True), (None, False)):
        asking = asyncio.ensure_future(push())
        qtbot.waitUntil(lambda: open_box() is not None)
        box = open_box()
        assert box is not None and box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        before = len(ticks)
        qtbot.waitUntil(lambda n=before: len(ticks) > n + 3)  # the feed goes on meanwhile
        if answer is None:
            box.reject()  # Escape or the close button: No
        else:
            box.button(answer).click()
        assert run(asking) is expected
    background.cancel()
    assert run(confirmed(lambda _t, _q: True, "t", "q")) is True  # plain answers too
