"""Reading, filling and live-checking the credentials fields of the settings page."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit

from bucket_desktop.i18n import _
from bucket_desktop.services.credentials import (
    AccountType,
    CredentialsError,
    DarajaCredentials,
    Environment,
)
from bucket_desktop.ui.common.edited_fields import EditedFields
from bucket_desktop.ui.common.widgets import SecretLineEdit
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView

TEXT_FIELDS = ("consumer_key", "consumer_secret", "shortcode", "till_number", "passkey")

# Known-good stand-ins, so each field is checked by the credentials rules on its own.
_STAND_INS = {
    "consumer_key": "key",
    "consumer_secret": "secret",
    "shortcode": "174379",
    "passkey": "passkey",
    "till_number": "5174380",
}


def field_errors(values: dict[str, str]) -> dict[str, str]:
    """Each field's problem as a sentence, using the rules of `DarajaCredentials.from_dict`."""
    errors: dict[str, str] = {}
    for name in TEXT_FIELDS:
        probe = {**_STAND_INS, name: values.get(name, "")}
        probe["environment"] = values.get("environment", Environment.SANDBOX.value)
        probe["account_type"] = values.get("account_type", AccountType.PAYBILL.value)
        try:
            DarajaCredentials.from_dict(probe)
        except CredentialsError as error:
            if error.field == name:
                errors[name] = str(error)
    return errors


class CredentialsForm:
    """The form half of the settings page: values in, values out, errors beside fields."""

    def __init__(self, view: SettingsPageView) -> None:
        self.view = view
        self._touched: set[str] = set()
        self._edits = EditedFields()
        for name in TEXT_FIELDS:
            self._line_edit(name).textEdited.connect(lambda _text, n=name: self._edited(n))
            self._edits.watch(name, self._line_edit(name))
        self._edits.watch("environment", view.environment)
        self._edits.watch("account_type", view.account_type)
        view.account_type.currentIndexChanged.connect(self._account_type_changed)
        view.environment.currentIndexChanged.connect(lambda _i: self.refresh_errors())
        self._account_type_changed()

    def values(self) -> dict[str, str]:
        """What the fields hold now."""
        values = {name: self._line_edit(name).text() for name in TEXT_FIELDS}
        values["environment"] = str(self.view.environment.currentData())
        values["account_type"] = str(self.view.account_type.currentData())
        return values

    def read(self) -> DarajaCredentials | None:
        """Valid credentials, or None after showing every problem beside its field."""
        self._touched.update(TEXT_FIELDS)
        if self.refresh_errors():
            return None
        try:
            credentials = DarajaCredentials.from_dict(self.values())
        except CredentialsError as error:  # a rule that spans fields
            self._show_error(error.field or "consumer_key", str(error))
            return None
        # Show what is used: spaces pasted around a key are gone from the fields too.
        self.fill(credentials)
        return credentials

    def peek(self) -> DarajaCredentials | None:
        """The fields as credentials if they are valid, marking nothing."""
        try:
            return DarajaCredentials.from_dict(self.values())
        except CredentialsError:
            return None

    def fill(self, credentials: DarajaCredentials) -> None:
        """Put saved credentials into the fields."""
        _select(self.view.environment, credentials.environment.value)
        _select(self.view.account_type, credentials.account_type.value)
        self.view.consumer_key.setText(credentials.consumer_key)
        self.view.consumer_secret.setText(credentials.consumer_secret)
        self.view.shortcode.setText(credentials.shortcode)
        self.view.till_number.setText(credentials.till_number or "")
        self.view.passkey.setText(credentials.passkey)
        self._touched.clear()
        self.refresh_errors()

    def fill_unedited(self, credentials: DarajaCredentials) -> list[str]:
        """Put saved credentials into the fields the person has not changed; returns the
        changed fields that were kept with other values than the saved ones."""
        kept = self._edits.fill(
            {
                # The combo boxes first: the account type decides which fields are shown.
                "environment": credentials.environment.value,
                "account_type": credentials.account_type.value,
                "consumer_key": credentials.consumer_key,
                "consumer_secret": credentials.consumer_secret,
                "shortcode": credentials.shortcode,
                "till_number": credentials.till_number or "",
                "passkey": credentials.passkey,
            }
        )
        self._touched.intersection_update(kept)  # the filled fields show no error yet
        self.refresh_errors()
        return kept

    def refresh_errors(self) -> dict[str, str]:
        """Show the problems of touched fields; returns them."""
        errors = {
            name: text
            for name, text in field_errors(self.values()).items()
            if name in self._touched
        }
        # Only the text changes: each error line keeps its room, so nothing below it moves.
        for name, label in self.view.field_errors.items():
            label.setText(errors.get(name, ""))
        return errors

    def _edited(self, name: str) -> None:
        self._touched.add(name)
        self.refresh_errors()

    def _show_error(self, name: str, text: str) -> None:
        label = self.view.field_errors.get(name)
        if label is not None:
            label.setText(text)

    def _account_type_changed(self) -> None:
        till = self.view.account_type.currentData() == AccountType.TILL.value
        self.view.shortcode_label.setText(_("Store number") if till else _("Paybill number"))
        self.view.till_number.setVisible(till)
        self.view.till_number_label.setVisible(till)
        self.view.field_errors["till_number"].setVisible(till)
        # A till field just shown has not been typed in yet: no error before typing.
        self._touched.discard("till_number")
        self.refresh_errors()

    def field_edit(self, name: str) -> QLineEdit:
        """The line edit of a text field (the inner one of a secret field)."""
        return self._line_edit(name)

    def _line_edit(self, name: str) -> QLineEdit:
        widget = self.view.field_widget(name)
        return widget.line_edit if isinstance(widget, SecretLineEdit) else widget  # type: ignore[return-value]


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)
