"""Choosing Kiswahili on the Settings page: the whole window changes at once, nothing is lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from bucket_desktop.i18n import SWAHILI, _, current_language
from bucket_desktop.services.app_settings import AppPaths, SettingsFile
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView
from bucket_desktop.ui.shell.desktop import SETTINGS_PAGE, Desktop
from server_stub.testing import RunningRelay


def choose(view: SettingsPageView, code: str) -> None:
    """Pick a language in the chooser, as a person does."""
    index = view.language.findData(code)
    view.language.setCurrentIndex(index)
    view.language.activated.emit(index)


def test_switching_to_kiswahili_and_back_keeps_the_work(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    data_dir: Path,
) -> None:
    desktop = make_desktop()
    run(desktop.sign_in(relay.base_url, provider["owner_token"]))
    assert desktop.window.show_page(SETTINGS_PAGE)
    view = desktop.settings_page.view
    assert view.language.currentText() == "English"
    view.consumer_key.setText("typed-but-not-saved")
    # Sentences on screen, one of them formatted, to be carried over too.
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.local_status.text() == "Fix the fields marked in red first.")
    view.saved_note.setText(_("Saved on this PC at {time}.").format(time="14:05"))

    choose(view, SWAHILI)

    assert current_language() == SWAHILI
    assert view.language_label.text() == "Lugha"
    assert view.save_button.text() == "Hifadhi"
    assert view.test_button.text() == "Jaribu"
    assert view.push_button.text() == "Tuma kwa relay"
    assert view.environment.itemText(0) == "Sandbox (majaribio)"
    assert view.local_status.text() == "Rekebisha kwanza sehemu zilizowekwa alama nyekundu."
    assert view.saved_note.text() == "Imehifadhiwa kwenye kompyuta hii saa 14:05."
    # Nothing rebuilt: the typed value, the page, the signed-in session are all still there.
    assert view.consumer_key.text() == "typed-but-not-saved"
    assert desktop.window.current_key() == SETTINGS_PAGE
    assert desktop.window.session is not None
    # Remembered for the next start.
    settings_file = SettingsFile(AppPaths.portable(data_dir).settings_file)
    assert settings_file.load().language == SWAHILI
    # Qt's own buttons, which Qt itself has no Swahili for.
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "",
        "",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
    )
    yes = box.button(QMessageBox.StandardButton.Yes)
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    assert yes is not None and cancel is not None
    assert cancel.text() == "Ghairi" and yes.text().replace("&", "") == "Ndiyo"
    box.deleteLater()

    choose(view, "en")
    assert view.save_button.text() == "Save"
    assert view.local_status.text() == "Fix the fields marked in red first."
    assert view.consumer_key.text() == "typed-but-not-saved"
    assert settings_file.load().language == "en"


def test_the_chosen_language_is_used_from_the_start(
    make_desktop: Callable[..., Desktop], data_dir: Path
) -> None:
    settings_file = SettingsFile(AppPaths.portable(data_dir).settings_file)
    settings = settings_file.load()
    settings.language = SWAHILI
    settings_file.save(settings)
    desktop = make_desktop()
    view = desktop.settings_page.view
    assert view.language.currentText() == "Kiswahili"
    assert view.save_button.text() == "Hifadhi"
    assert view.language_label.text() == "Lugha"


def test_an_attendant_switches_the_language_from_the_window_header(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    data_dir: Path,
) -> None:
    desktop = make_desktop()
    run(desktop.sign_in(relay.base_url, provider["attendant_token"]))
    header = desktop.window.view
    assert header.language_button.isVisibleTo(header)
    assert header.language_button.text() == "Kiswahili"  # the language it switches to

    qtbot.mouseClick(header.language_button, Qt.MouseButton.LeftButton)

    assert current_language() == SWAHILI
    assert header.about_button.text() == "Kuhusu"
    assert header.language_button.text() == "English"
    settings_file = SettingsFile(AppPaths.portable(data_dir).settings_file)
    assert settings_file.load().language == SWAHILI
    # The Settings page's list (owner only) shows the same choice.
    assert desktop.settings_page.view.language.currentText() == "Kiswahili"
    qtbot.mouseClick(header.language_button, Qt.MouseButton.LeftButton)
    assert current_language() == "en" and header.language_button.text() == "Kiswahili"
