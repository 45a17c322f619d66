"""Composition root: paths, logging, Qt and its asyncio loop, the HTTP client, the window.

`main()` is the only entry; nothing here runs at import time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx
import qasync
from PySide6.QtWidgets import QApplication

from bucket_desktop.i18n import system_language
from bucket_desktop.i18n.qt.live import apply_language
from bucket_desktop.services.app_settings import APP_NAME, AppPaths, SettingsFile
from bucket_desktop.services.private_log import PrivateRotatingFileHandler
from bucket_desktop.ui.shell.session import DesktopSession, ShownHook, demo_paths

log = logging.getLogger(__name__)
MAX_DEMO_PROVIDERS = 500


@dataclass(frozen=True)
class Options:
    """Command-line options."""

    demo: bool
    data_dir: Path | None
    demo_providers: int = 0


def parse_args(argv: Sequence[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="bucket-desktop",
        description="Payment Bucket: M-PESA payments for hotspot providers.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run with an offline M-PESA simulator and a local relay (nothing real is charged)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep settings, credentials and logs in this folder instead of the usual ones "
        "(with --demo: make the demo's throwaway folder in it)",
    )
    parser.add_argument(
        "--demo-providers",
        type=int,
        default=0,
        metavar="N",
        help="with --demo: also a platform administrator and N more providers, for the "
        "Platform page (“View as …” switches to it)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.demo_providers <= MAX_DEMO_PROVIDERS:
        parser.error(f"--demo-providers must be 0 to {MAX_DEMO_PROVIDERS}")
    return Options(demo=args.demo, data_dir=args.data_dir, demo_providers=args.demo_providers)


def main(argv: Sequence[str] | None = None, *, on_window_shown: ShownHook | None = None) -> int:
    """Run the app until its window closes; returns the exit status."""
    options = parse_args(argv)
    # Qt first: if its platform plugin cannot load, nothing has been written yet.
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    assert isinstance(app, QApplication)
    paths = _paths_for(options)
    handlers = configure_logging(paths.log_file)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("Payment Bucket")
    app.setStyleSheet(load_style_sheet())
    # Before the first dialog (the passphrase one may come before the window).
    apply_language(SettingsFile(paths.settings_file).load().language or system_language())
    # The window's close ends `run`; Qt must not stop the loop under it first.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        status: int = loop.run_until_complete(run(options, paths, on_window_shown))
        return status
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        # qasync keeps the Qt timers of cancelled callbacks registered after close and kills
        # each when it fires; if that callback held the last reference to the loop, the loop
        # and its timer object would be freed inside that very timer event (a crash). Keep the
        # closed loop as long as the application object.
        app.destroyed.connect(lambda *_args: loop)
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()
        if options.demo:
            # Again now that the log is closed (Windows cannot delete an open file).
            shutil.rmtree(paths.data_dir, ignore_errors=True)


async def run(options: Options, paths: AppPaths, on_window_shown: ShownHook | None) -> int:
    """Open the secrets, show the window, sign in (or start the demo), wait for the close."""
    async with httpx.AsyncClient(timeout=20.0) as http:
        session = DesktopSession(
            options.demo, paths, http, on_window_shown, demo_providers=options.demo_providers
        )
        try:
            return await session.run()
        finally:
            await session.shutdown()


def _paths_for(options: Options) -> AppPaths:
    if options.demo:
        return demo_paths(options.data_dir)
    if options.data_dir is not None:
        return AppPaths.portable(options.data_dir)
    return AppPaths.for_user()


def configure_logging(log_file: Path) -> list[logging.Handler]:
    """Log to a rotating file in the log folder (never secrets) and warnings to stderr."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    root.addHandler(console)
    try:
        log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = PrivateRotatingFileHandler(
            log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError as error:
        log.warning("No log file (%s); logging to the console only.", error)
        return [console]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    # httpx logs every request URL at INFO; relay URLs are fine but the noise is not.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return [console, handler]


def load_style_sheet() -> str:
    """The app's Qt style sheet, with `{resources}` pointing at the resource folder."""
    folder = resources.files("bucket_desktop.resources")
    text = folder.joinpath("style.qss").read_text("utf-8")
    # Qt reads style sheet images from real files; the package folder is one (also when frozen).
    return text.replace("{resources}", Path(str(folder)).as_posix())
