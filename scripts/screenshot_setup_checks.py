"""Save pictures of the owner's setup checks in demo mode: the relay panel before and after a
test prompt, the test-prompt dialog, the Desks page and its two dialogs, the first-key question;
and (`--part owner-setup`) the Getting started checklist, the About box, the passphrase dialogs
(create, unlock, forgot, change), the real-money questions and the Change relay dialog.

Usage: .venv/bin/python scripts/screenshot_setup_checks.py [--out-dir DIR] [--size 1024x600]
           [--part all|setup-checks|owner-setup]

docs/owner-setup/ holds `--part owner-setup` at 1024x600 and 1920x1080 (one folder each).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from bucket_desktop.app import main
from bucket_desktop.demo import demo_credentials
from bucket_desktop.services.credentials import Environment
from bucket_desktop.services.keystore import NO_STORE_SENTENCE
from bucket_desktop.services.owner_setup.sandbox_check import (
    PRODUCTION_SWITCH_QUESTION,
    sandbox_values_in_production,
)
from bucket_desktop.ui.about.about_view import AboutDialogView
from bucket_desktop.ui.common.widgets import StatusKind, StatusLabel
from bucket_desktop.ui.desks.desk_dialogs import DeskNameDialog, DeskTokenDialog
from bucket_desktop.ui.desks.desks_page_view import DesksPageView
from bucket_desktop.ui.passphrase.change_view import ChangePassphraseView
from bucket_desktop.ui.passphrase.forgot_view import ForgotPassphraseView
from bucket_desktop.ui.passphrase.passphrase_dialog import PassphraseDialogView
from bucket_desktop.ui.settings.prompt_check_dialog_view import PromptCheckDialogView
from bucket_desktop.ui.settings.relay_texts import first_key_question
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView
from bucket_desktop.ui.setup_checklist.checklist_view import SetupChecklistView
from bucket_desktop.ui.setup_guards.real_money import SANDBOX_TITLE, SWITCH_TITLE
from bucket_desktop.ui.shell.connect_dialog_view import ConnectDialogView
from bucket_desktop.ui.shell.main_window_view import MainWindowView

TIMEOUT_S = 60.0
_tasks: set[asyncio.Task[None]] = set()
T = TypeVar("T", bound=QWidget)


async def until(condition: Callable[[], object], what: str) -> None:
    """Wait for `condition()` to become true, or give up with a message."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT_S
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


async def press(button: QPushButton, status: StatusLabel) -> None:
    """Click a button and wait for its outcome."""
    status.show_status("")
    button.click()
    await until(lambda: status.kind in (StatusKind.OK, StatusKind.ERROR), button.text())


def dialog_of(kind: type[T]) -> T | None:
    """The visible top-level dialog of this class, if any."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


def save(widget: QWidget, out_dir: Path, name: str) -> None:
    """Grab a widget into out_dir/name.png."""
    path = out_dir / f"{name}.png"
    widget.grab().save(str(path))
    print(f"saved {path}")


async def stage(view: MainWindowView, out_dir: Path, size: tuple[int, int]) -> None:
    """Drive the demo like an owner, saving a picture at each step."""
    view.resize(*size)
    page = view.findChild(SettingsPageView)
    assert page is not None
    await until(lambda: page.demo_card.isVisibleTo(page), "the demo to start")
    view.sidebar.setCurrentRow(_row_of(view, "Payment settings"))  # after the owner-setup part
    await press(page.push_button, page.relay_status)
    await press(page.verify_button, page.relay_status)
    save(view, out_dir, "1-settings-not-proven")

    page.test_prompt_button.click()
    await until(lambda: dialog_of(PromptCheckDialogView), "the test prompt dialog")
    prompt = dialog_of(PromptCheckDialogView)
    assert prompt is not None
    prompt.phone.setText("0700 000 002")  # the simulator's customer cancels
    prompt.send_button.click()
    await until(lambda: "nothing was charged" in prompt.outcome.text(), "the phone's answer")
    save(prompt, out_dir, "2-test-prompt-dialog")
    prompt.close_button.click()
    await until(lambda: page.proven.text().startswith("Proven"), "the proof to show")
    save(view, out_dir, "3-settings-proven")
    save(page, out_dir, "3b-settings-whole-page")  # below the fold at 1024x600

    view.sidebar.setCurrentRow(_row_of(view, "Desks"))
    desks = view.findChild(DesksPageView)
    assert desks is not None
    await until(lambda: desks.table.rowCount() >= 2, "the desks")
    desks.add_button.click()
    await until(lambda: dialog_of(DeskNameDialog), "the name dialog")
    name = dialog_of(DeskNameDialog)
    assert name is not None
    name.name_edit.setText("Counter 2")
    save(name, out_dir, "4-desk-name-dialog")
    name.ok_button.click()
    await until(lambda: dialog_of(DeskTokenDialog), "the token dialog")
    token = dialog_of(DeskTokenDialog)
    assert token is not None
    save(token, out_dir, "5-desk-token-dialog")
    token.accept()
    await until(lambda: desks.table.rowCount() >= 3, "the new desk")
    save(view, out_dir, "6-desks-page")

    box = QMessageBox(QMessageBox.Icon.Question, "Compare the relay key", "", parent=view)
    box.setText(first_key_question("https://relay.example.com", "3EF3-560B-2557-5EB8"))
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.show()
    await asyncio.sleep(0.3)
    save(box, out_dir, "7-first-key-question")
    box.close()


async def owner_setup(view: MainWindowView, out_dir: Path, size: tuple[int, int]) -> None:
    """The first-run checklist, the About box, and the owner's setup dialogs."""
    view.resize(*size)
    page = view.findChild(SettingsPageView)
    assert page is not None
    await until(lambda: page.demo_card.isVisible(), "the demo to start")
    view.sidebar.setCurrentRow(_row_of(view, "Getting started"))
    checklist = view.findChild(SetupChecklistView)
    assert checklist is not None
    await until(lambda: "to go" in checklist.summary.text(), "the checklist")
    save(view, out_dir, "owner-1-getting-started")

    view.about_button.click()
    await until(lambda: dialog_of(AboutDialogView), "the About box")
    about = dialog_of(AboutDialogView)
    assert about is not None
    await until(lambda: about.relay_version.text()[:1].isdigit(), "the relay's version")
    save(about, out_dir, "owner-2-about")
    about.close_button.click()

    folder = Path(tempfile.gettempdir()) / "PaymentBucket"
    boxes: list[tuple[str, QWidget]] = [
        ("owner-3-passphrase-create", PassphraseDialogView(True, NO_STORE_SENTENCE)),
        ("owner-4-passphrase-unlock", PassphraseDialogView(False, NO_STORE_SENTENCE)),
        ("owner-5-forgot-passphrase", ForgotPassphraseView(folder)),
        ("owner-6-change-passphrase", ChangePassphraseView()),
        ("owner-7-switch-to-production", _question(view, SWITCH_TITLE, PRODUCTION_SWITCH_QUESTION)),
        ("owner-8-sandbox-values", _question(view, SANDBOX_TITLE, _sandbox_warning())),
        ("owner-9-change-relay", ConnectDialogView(view, first_run=False)),
    ]
    for name, box in boxes:
        box.show()
        await asyncio.sleep(0.3)
        save(box, out_dir, name)
        box.close()


def _question(parent: QWidget, title: str, text: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return box


def _sandbox_warning() -> str:
    live = dataclasses.replace(demo_credentials(), environment=Environment.PRODUCTION)
    return f"{sandbox_values_in_production(live)}\n\nSave anyway?"


def _row_of(view: MainWindowView, title: str) -> int:
    for row in range(view.sidebar.count()):
        if view.sidebar.item(row).text() == title:
            return row
    raise LookupError(title)


def run() -> int:
    """Parse arguments and run the demo once."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=Path(tempfile.gettempdir()) / "shots")
    parser.add_argument("--size", default="1024x600")
    parser.add_argument(
        "--part",
        choices=("all", "setup-checks", "owner-setup"),
        default="all",
        help="which pictures",
    )
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    args.out_dir.mkdir(parents=True, exist_ok=True)

    def on_shown(view: MainWindowView) -> None:
        async def staged() -> None:
            try:
                if args.part in ("all", "owner-setup"):
                    await owner_setup(view, args.out_dir, (width, height))
                if args.part in ("all", "setup-checks"):
                    await stage(view, args.out_dir, (width, height))
            finally:
                view.close()

        _tasks.add(asyncio.ensure_future(staged()))

    with tempfile.TemporaryDirectory() as config:
        return main(["--demo", "--data-dir", config], on_window_shown=on_shown)


if __name__ == "__main__":
    sys.exit(run())
