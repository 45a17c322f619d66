"""The Payment settings page in Kiswahili, switched live, saved as docs/settings-page-sw-*.png.

Usage: .venv/bin/python scripts/screenshot_settings_sw.py [--out-dir docs]

Starts the demo offscreen, acts as the owner on Payment settings (Test, Push to relay, Verify on
relay), then picks Kiswahili in the language chooser, as a person would, and saves the page at
1024x600 and 1366x768. Lists any widget cut off at 1024x600, 1366x768 or 1920x1080 (the script
fails if there is one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LANGUAGE"] = "en"  # starts in English: the switch is part of what is shown

from screenshot_pages import press, run_demo, until

from bucket_desktop.i18n import SWAHILI
from bucket_desktop.ui.common.fit_check import clipped_widgets
from bucket_desktop.ui.payments.payments_page_view import PaymentsPageView
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView
from bucket_desktop.ui.shell.main_window_view import MainWindowView

ROOT = Path(__file__).resolve().parent.parent
PICTURE_SIZES = ((1024, 600), (1366, 768))
CHECKED_SIZES = (*PICTURE_SIZES, (1920, 1080))


def show_settings(view: MainWindowView, settings: SettingsPageView) -> None:
    """Select the settings page in the sidebar, whatever its title's language."""
    for index in range(view.pages.count()):
        if view.pages.widget(index).isAncestorOf(settings):
            view.sidebar.setCurrentRow(index)
            return
    raise LookupError("no settings page")


async def stage_and_grab(view: MainWindowView, out: Path, failed: list[str]) -> None:
    """Test, push and verify in English, switch to Kiswahili, grab and check the page."""
    try:
        settings = view.findChild(SettingsPageView)
        payments = view.findChild(PaymentsPageView)
        assert settings is not None and payments is not None
        view.resize(*PICTURE_SIZES[1])
        await until(lambda: payments.connection.text() == "● Live", "the demo to go live")
        show_settings(view, settings)
        await press(settings.test_button, settings.local_status)
        await press(settings.push_button, settings.relay_status)
        await press(settings.verify_button, settings.relay_status)
        index = settings.language.findData(SWAHILI)
        settings.language.setCurrentIndex(index)
        settings.language.activated.emit(index)
        view.banner.show_status("")
        for width, height in CHECKED_SIZES:
            view.resize(width, height)
            await asyncio.sleep(0.4)  # let the layout settle
            failed += [f"{width}x{height}: {p}" for p in clipped_widgets(view)]
            if (width, height) in PICTURE_SIZES:
                path = out / f"settings-page-sw-{width}x{height}.png"
                view.grab().save(str(path))
                print(f"saved {path}")
    except Exception as error:  # reported below, and the window still closes
        failed.append(f"{type(error).__name__}: {error}")
    finally:
        view.close()


def run() -> int:
    """Run the demo once and take the pictures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    return run_demo(
        args.out_dir, lambda view, _temp, out, failed: stage_and_grab(view, out, failed)
    )


if __name__ == "__main__":
    sys.exit(run())
