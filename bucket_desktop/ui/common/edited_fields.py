"""A form filled from a saved copy keeps what the person changed while that copy was read."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

Field = QLineEdit | QAbstractButton | QComboBox
Value = str | bool


class EditedFields:
    """Which of a form's fields the person has changed; `fill` passes those by.

    A page is usable as soon as it is shown, but the values it is filled with can come seconds
    later: after the sign-in's answer on a slow link, from a keyring that has to be unlocked.
    What the person typed, ticked or chose meanwhile is newer than that copy, so it stays, and
    only the fields they left alone are filled. Only the person's own edits count (the signals
    below are not sent for values set by the program).
    """

    __slots__ = ("_edited", "_fields")

    def __init__(self) -> None:
        self._fields: dict[str, Field] = {}
        self._edited: set[str] = set()

    def watch(self, name: str, field: Field) -> None:
        """Count `field` as edited from the person's first keystroke, click or choice in it."""
        self._fields[name] = field
        if isinstance(field, QLineEdit):
            field.textEdited.connect(lambda _text: self._edited.add(name))
        elif isinstance(field, QComboBox):
            field.activated.connect(lambda _index: self._edited.add(name))
        else:
            field.clicked.connect(lambda _checked=False: self._edited.add(name))

    def fill(self, values: Mapping[str, Value]) -> list[str]:
        """Put each value into its field unless the person edited that field; returns the
        names of the edited fields that now differ from the value given (their text was kept).
        A combo box's value is its item data."""
        kept = []
        for name, value in values.items():
            field = self._fields[name]
            if name in self._edited:
                if _current(field) != value:
                    kept.append(name)
                continue
            if isinstance(field, QLineEdit):
                field.setText(str(value))
            elif isinstance(field, QComboBox):
                index = field.findData(value)
                if index >= 0:
                    field.setCurrentIndex(index)
            else:
                field.setChecked(bool(value))
        return kept


def _current(field: Field) -> object:
    if isinstance(field, QLineEdit):
        return field.text()
    if isinstance(field, QComboBox):
        return field.currentData()
    return field.isChecked()
