"""Showing a dialog from async code without a nested event loop."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QDialog, QLayout, QMessageBox, QWidget


class _GrowWithContent(QObject):
    """Makes a dialog at least as tall as its content needs at its current width."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, QDialog) and event.type() is QEvent.Type.LayoutRequest:
            layout = watched.layout()
            if layout is not None:
                layout.activate()
                needed = layout.totalHeightForWidth(watched.width())
                if needed < 0:
                    needed = layout.totalMinimumSize().height()
                if watched.height() < needed:
                    watched.resize(watched.width(), needed)
        return False


def grow_with_messages(dialog: QDialog) -> None:
    """A message appearing in `dialog` makes it taller instead of squashing the fields."""
    layout = dialog.layout()
    if layout is not None:
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
    grower = _GrowWithContent(dialog)
    dialog.installEventFilter(grower)


async def run_dialog(dialog: QDialog) -> int:
    """Open `dialog` window-modal and wait, on the running loop, until it is closed."""
    finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(result: int) -> None:
        if not finished.done():
            finished.set_result(result)

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await finished
    finally:
        dialog.finished.disconnect(done)


# A yes/no question: (title, sentence) -> the answer, now or once the person has chosen. Tests
# pass plain functions; the app passes `ask_yes_no`, which never blocks the event loop.
Confirm = Callable[[str, str], bool | Awaitable[bool]]


async def confirmed(confirm: Confirm, title: str, question: str) -> bool:
    """The answer to `question`, awaited when `confirm` answers later."""
    answer = confirm(title, question)
    return await answer if inspect.isawaitable(answer) else bool(answer)


async def ask_yes_no(title: str, question: str, parent: QWidget | None = None) -> bool:
    """Yes/No in a window-modal message box, No the default, awaited without a nested loop.

    A blocking `QMessageBox.question` inside a running task would let qasync step other tasks
    from the box's own event loop, and asyncio refuses that: the live feed would stop.
    """
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        parent,
    )
    box.setDefaultButton(QMessageBox.StandardButton.No)
    try:
        await run_dialog(box)
        return box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
    finally:
        box.deleteLater()
