"""Showing a dialog from async code without a nested event loop."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QDialog, QLayout


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
