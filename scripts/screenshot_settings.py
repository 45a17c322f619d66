"""Start the app in demo mode offscreen and save the settings page as docs/settings-page.png.

Usage: .venv/bin/python scripts/screenshot_settings.py [--out docs/settings-page.png]
The window is 1366x768 (a common shop PC screen). The picture is taken once the demo is ready.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer

from bucket_desktop.app import main
from bucket_desktop.ui.main_window_view import MainWindowView

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_MS = 60_000


def take(view: MainWindowView, out: Path) -> None:
    """Wait until the demo has filled the page, then save the picture and close."""
    view.resize(1366, 768)
    waited = {"ms": 0}

    def poll() -> None:
        waited["ms"] += 200
        banner = view.banner.text()
        ready = banner.startswith("Demo mode") or "could not start" in banner
        if not ready and waited["ms"] < TIMEOUT_MS:
            QTimer.singleShot(200, poll)
            return
        QTimer.singleShot(800, lambda: grab(view, out))

    QTimer.singleShot(200, poll)


def grab(view: MainWindowView, out: Path) -> None:
    """Save the window and close it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    view.grab().save(str(out))
    print(f"saved {out}")
    view.close()


def run() -> int:
    """Parse arguments and run the app once."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "settings-page.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as config:
        return main(["--demo", "--data-dir", config], on_window_shown=lambda v: take(v, args.out))


if __name__ == "__main__":
    sys.exit(run())
