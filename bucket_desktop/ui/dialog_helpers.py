"""Showing a dialog from async code without a nested event loop."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog


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
