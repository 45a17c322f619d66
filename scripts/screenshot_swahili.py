"""Start the demo in Kiswahili offscreen and save every page as docs/sw/<page>-<size>.png.

Usage: .venv/bin/python scripts/screenshot_swahili.py [--out-dir docs/sw]

The demo is staged as scripts/screenshot_pages.py does (Test, Push and Verify on Payment
settings, 29 days of history, a few prompts charged at the counter); then every page the owner
sees is saved at 1024x600 and 1366x768, the About box and the plans editor at 1024x600. Any
widget cut off at either size is listed, and the script then fails. The administrator's
Platform page: scripts/screenshot_platform.py --language sw --out-dir docs/sw.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The demo starts like a first run, which follows the system's language.
os.environ["LANGUAGE"] = "sw"

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from screenshot_pages import (
    TODAY_PUSHES,
    charge,
    demo_relay_db,
    press,
    run_demo,
    seed_history,
    until,
)

from bucket_desktop.i18n import SWAHILI, _, set_language
from bucket_desktop.ui.about.about_view import AboutDialogView
from bucket_desktop.ui.charge.charge_page_view import ChargePageView
from bucket_desktop.ui.common.fit_check import clipped_widgets
from bucket_desktop.ui.payments.payments_model import COL_RECEIPT, COL_STATUS
from bucket_desktop.ui.payments.payments_page_view import PaymentsPageView
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView
from bucket_desktop.ui.shared_plans.plans_dialog import PlansDialogView
from bucket_desktop.ui.shell.desktop import CHARGE_PAGE
from bucket_desktop.ui.shell.main_window_view import MainWindowView
from bucket_desktop.ui.stk_status.stk_status_page_view import StkStatusPageView

ROOT = Path(__file__).resolve().parent.parent
SIZES = ((1024, 600), (1366, 768))
SETTLE_S = 0.4  # Qt lays a page out in posted events


def visible_keys(view: MainWindowView) -> list[str]:
    """The keys of the sidebar's pages this session sees, in order."""
    sidebar = view.sidebar
    return [
        sidebar.item(row).data(Qt.ItemDataRole.UserRole)
        for row in range(sidebar.count())
        if not sidebar.isRowHidden(row)
    ]


def show(view: MainWindowView, key: str) -> None:
    """Pick a page in the sidebar by its key."""
    for row in range(view.sidebar.count()):
        if view.sidebar.item(row).data(Qt.ItemDataRole.UserRole) == key:
            view.sidebar.setCurrentRow(row)
            return
    raise LookupError(key)


def save(widget: QWidget, out: Path, name: str) -> None:
    """Grab a widget into out/name.png."""
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"saved {path}")


async def stage(view: MainWindowView, temp: Path) -> None:
    """Act as the owner on the settings page, then as an attendant at the counter."""
    settings = view.findChild(SettingsPageView)
    charge_page = view.findChild(ChargePageView)
    stk = view.findChild(StkStatusPageView)
    payments = view.findChild(PaymentsPageView)
    assert settings and charge_page and stk and payments
    await until(lambda: payments.connection.text() == _("● Live"), "the demo to go live")
    show(view, "settings")
    await press(settings.test_button, settings.local_status)
    await press(settings.push_button, settings.relay_status)
    await press(settings.verify_button, settings.relay_status)
    seed_history(demo_relay_db(temp))
    show(view, CHARGE_PAGE)
    for phone, plan in TODAY_PUSHES:
        await charge(charge_page, stk, phone, plan)
    model = stk.table.model()
    statuses = lambda: [model.index(r, COL_STATUS).data() for r in range(model.rowCount())]  # noqa: E731
    await until(lambda: statuses().count(_("Waiting for PIN")) == 1, "the prompts to settle")
    view.banner.show_status("")
    charge_page.plans_layout.itemAt(2).widget().click()
    charge_page.phone_edit.setText("0722 418 903")
    charge_page.status.show_status("")
    paid = next(r for r in range(model.rowCount()) if model.index(r, COL_RECEIPT).data())
    stk.table.selectRow(paid)


async def grab_pages(view: MainWindowView, out: Path, keys: list[str]) -> list[str]:
    """Save each page at every size; what is cut off on it."""
    problems: list[str] = []
    for width, height in SIZES:
        view.resize(width, height)
        for key in keys:
            show(view, key)
            await asyncio.sleep(SETTLE_S)
            problems += [f"{key} at {width}x{height}: {p}" for p in clipped_widgets(view)]
            save(view, out, f"{key}-{width}x{height}")
    return problems


async def grab_dialog(kind: type[QDialog], open_it: QWidget, out: Path, name: str) -> list[str]:
    """Open a dialog with a button, save it at its own size, close it; what is cut off."""
    open_it.click()  # type: ignore[attr-defined]
    await until(lambda: _dialog(kind) is not None, name)
    dialog = _dialog(kind)
    assert dialog is not None
    await asyncio.sleep(SETTLE_S)
    problems = [f"{name}: {p}" for p in clipped_widgets(dialog)]
    save(dialog, out, name)
    dialog.reject()
    return problems


def _dialog(kind: type[QDialog]) -> QDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


async def stage_and_grab(view: MainWindowView, temp: Path, out: Path, failed: list[str]) -> None:
    """Stage the demo, take the pictures, close the window."""
    try:
        view.resize(*SIZES[1])
        await stage(view, temp)
        failed += await grab_pages(view, out, visible_keys(view))
        view.resize(*SIZES[0])
        failed += await grab_dialog(AboutDialogView, view.about_button, out, "about-box")
        charge_page = view.findChild(ChargePageView)
        assert charge_page is not None
        show(view, CHARGE_PAGE)
        failed += await grab_dialog(
            PlansDialogView, charge_page.edit_plans_button, out, "plans-editor"
        )
    except Exception as error:  # reported below, and the window still closes
        failed.append(f"{type(error).__name__}: {error}")
    finally:
        view.close()


def run() -> int:
    """Parse arguments and run the app once in demo mode, in Kiswahili."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "sw")
    args = parser.parse_args()
    set_language(SWAHILI)
    return run_demo(args.out_dir, stage_and_grab, "starting-1024x600.png")


if __name__ == "__main__":
    sys.exit(run())
