"""EditedFields: a late fill passes by the fields the person changed, whatever their kind."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit
from pytestqt.qtbot import QtBot

from bucket_desktop.ui.common.edited_fields import EditedFields


def _form(qtbot: QtBot) -> tuple[EditedFields, QLineEdit, QLineEdit, QCheckBox, QComboBox]:
    address, user, tls, kind = QLineEdit(), QLineEdit(), QCheckBox(), QComboBox()
    kind.addItem("Paybill", "paybill")
    kind.addItem("Till", "till")
    for widget in (address, user, tls, kind):
        qtbot.addWidget(widget)
    edits = EditedFields()
    edits.watch("address", address)
    edits.watch("user", user)
    edits.watch("tls", tls)
    edits.watch("kind", kind)
    return edits, address, user, tls, kind


SAVED = {"address": "192.168.88.1", "user": "pb-api", "tls": True, "kind": "till"}


def test_an_untouched_form_is_filled_whole(qtbot: QtBot) -> None:
    edits, address, user, tls, kind = _form(qtbot)
    address.setText("set by the program, not typed")
    assert edits.fill(SAVED) == []
    assert (address.text(), user.text(), tls.isChecked(), kind.currentData()) == (
        "192.168.88.1",
        "pb-api",
        True,
        "till",
    )


def test_typed_ticked_and_chosen_fields_keep_what_the_person_gave(qtbot: QtBot) -> None:
    edits, address, user, tls, kind = _form(qtbot)
    qtbot.keyClicks(address, "10.5.50.1")
    tls.setFocus()
    qtbot.keyClick(tls, Qt.Key.Key_Space)
    qtbot.keyClick(tls, Qt.Key.Key_Space)  # ticked and unticked again: the person's choice
    kind.setFocus()
    qtbot.keyClick(kind, Qt.Key.Key_Down)
    qtbot.keyClick(kind, Qt.Key.Key_Up)  # back to Paybill, chosen
    assert edits.fill(SAVED) == ["address", "tls", "kind"]
    assert (address.text(), user.text(), tls.isChecked(), kind.currentData()) == (
        "10.5.50.1",
        "pb-api",
        False,
        "paybill",
    )


def test_an_edit_that_matches_the_saved_value_is_not_reported(qtbot: QtBot) -> None:
    edits, address, _user, _tls, _kind = _form(qtbot)
    qtbot.keyClicks(address, "192.168.88.1")
    assert edits.fill(SAVED) == []
    assert address.text() == "192.168.88.1"
