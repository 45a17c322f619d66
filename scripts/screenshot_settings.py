"""Start the app in demo mode offscreen and save the settings page as docs/settings-page.png.

Usage: .venv/bin/python scripts/screenshot_settings.py [--out docs/settings-page.png]
The window is 1366x768 (a common shop PC screen). Once the demo is ready the script presses
Test, Push to relay and Verify on relay, as an owner would, then takes the picture.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QPushButton

from bucket_desktop.app import main
from bucket_desktop.ui.main_window_view import MainWindowView
from bucket_desktop.ui.settings_page_view import SettingsPageView
from bucket_desktop.ui.widgets import StatusKind, StatusLabel

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60.0
_tasks: set[asyncio.Task[None]] = set()


async def until(condition: object, what: str) -> None:
    """Wait for `condition()` to become true, or give up with a message."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT_S
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


async def press(button: QPushButton, status: StatusLabel) -> None:
    """Click a button and wait for its outcome."""
    status.show_status("")
    button.click()
    await until(lambda: status.kind in (StatusKind.OK, StatusKind.ERROR), button.text())


async def stage_and_grab(view: MainWindowView, out: Path) -> None:
    """Drive the settings page like an owner, then save the picture and close."""
    try:
        view.resize(1366, 768)
        page = view.findChild(SettingsPageView)
        assert page is not None
        failed = lambda: view.banner.kind is StatusKind.ERROR  # noqa: E731
        await until(lambda: page.demo_card.isVisible() or failed(), "the demo to start")
        if failed():
            raise RuntimeError(view.banner.text())
        await press(page.test_button, page.local_status)
        await press(page.push_button, page.relay_status)
        await press(page.verify_button, page.relay_status)
        await asyncio.sleep(0.5)
        out.parent.mkdir(parents=True, exist_ok=True)
        view.grab().save(str(out))
        print(f"saved {out}")
    finally:
        view.close()


def run() -> int:
    """Parse arguments and run the app once."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "settings-page.png")
    args = parser.parse_args()

    def on_shown(view: MainWindowView) -> None:
        task = asyncio.ensure_future(stage_and_grab(view, args.out))
        _tasks.add(task)

    with tempfile.TemporaryDirectory() as config:
        return main(["--demo", "--data-dir", config], on_window_shown=on_shown)


if __name__ == "__main__":
    sys.exit(run())
