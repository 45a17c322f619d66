"""Screenshots of the Platform page with 50 demo providers, at 1024x600 and 1920x1080.

Usage: .venv/bin/python scripts/screenshot_platform.py [--out-dir docs] [--providers 50]
       [--language sw]

Starts the demo's simulator and relay, adds a platform administrator and the demo providers
through the relay's routes (bucket_desktop.demo_platform), signs a desktop in with the admin
token, chooses a provider that needs attention, and saves docs/platform-page-<size>.png. Fails
if a widget is cut off at either size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import qasync
from PySide6.QtWidgets import QApplication

from bucket_desktop.app import load_style_sheet
from bucket_desktop.demo import add_platform_admin, demo_credentials, start_demo
from bucket_desktop.demo_platform import seed_demo_providers
from bucket_desktop.i18n import ENGLISH, LANGUAGES, set_language
from bucket_desktop.services.app_settings import AppPaths
from bucket_desktop.services.keystore import MemoryStore
from bucket_desktop.ui.common.fit_check import clipped_widgets
from bucket_desktop.ui.shell.desktop import build_desktop

ROOT = Path(__file__).resolve().parent.parent
SIZES = ((1024, 600), (1920, 1080))


async def shoot(out_dir: Path, providers: int) -> int:
    folder = Path(tempfile.mkdtemp(prefix="platform-shots-"))
    demo = await start_demo(folder / "demo")
    try:
        token = await add_platform_admin(demo)
        async with httpx.AsyncClient(timeout=30.0) as http:
            await seed_demo_providers(http, demo.relay_url, token, demo_credentials(), providers)
            # Let the simulator's callbacks and the confirming queries land.
            await asyncio.sleep(4)
            desktop = build_desktop(
                AppPaths.portable(folder / "app"), http, MemoryStore(), environ={}, with_tray=False
            )
            await desktop.sign_in(demo.relay_url, token, remember=False)
            page = desktop.platform
            while len(page.model.rows) < providers:  # noqa: ASYNC110 - a Qt model, no event
                await asyncio.sleep(0.1)
            # A provider in trouble with some history shows the detail best.
            troubled = [row for row in page.visible() if row.attention and not row.disabled]
            attention = max(troubled, key=lambda row: (row.disputed, row.payments_30d))
            page.choose(attention.id)
            while page.view.audit.rowCount() == 0:  # noqa: ASYNC110 - a Qt table
                await asyncio.sleep(0.1)
            window = desktop.window.view
            window.show()
            problems = 0
            for width, height in SIZES:
                window.resize(width, height)
                for _ in range(5):
                    QApplication.processEvents()
                    await asyncio.sleep(0.05)
                path = out_dir / f"platform-page-{width}x{height}.png"
                window.grab().save(str(path))
                print(path)
                for name in clipped_widgets(window):
                    print(f"cut off at {width}x{height}: {name}", file=sys.stderr)
                    problems += 1
            await desktop.close()
            window.close()
    finally:
        demo.stop()
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    parser.add_argument("--providers", type=int, default=50)
    parser.add_argument("--language", choices=sorted(LANGUAGES), default=ENGLISH)
    args = parser.parse_args()
    set_language(args.language)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setStyleSheet(load_style_sheet())
    app.setQuitOnLastWindowClosed(False)  # the script ends the loop itself
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return loop.run_until_complete(shoot(args.out_dir, args.providers))


if __name__ == "__main__":
    sys.exit(main())
