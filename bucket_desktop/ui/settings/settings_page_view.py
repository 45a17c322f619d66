"""Layout of the Payment settings page: the Daraja app form and the relay panel."""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import LANGUAGES, _
from bucket_desktop.services.credentials import AccountType, Environment
from bucket_desktop.ui.about.about_view import DARAJA_PORTAL
from bucket_desktop.ui.common.widgets import ElidedLabel, ReservedLabel, SecretLineEdit, StatusLabel

DEMO_COLUMNS = 3
SIDE_BY_SIDE_MIN_WIDTH = 900
FIELD_NAMES = (
    "environment",
    "account_type",
    "consumer_key",
    "consumer_secret",
    "shortcode",
    "till_number",
    "passkey",
)


class SettingsPageView(QWidget):
    """Widgets only; `SettingsPage` wires them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Each language named in its own words: found by someone who cannot read the other.
        self.language = QComboBox()
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language_label = QLabel(_("Language"))
        self.environment = QComboBox()
        self.environment.addItem(_("Sandbox (testing)"), Environment.SANDBOX.value)
        self.environment.addItem(_("Production (real money)"), Environment.PRODUCTION.value)
        self.account_type = QComboBox()
        self.account_type.addItem(_("Paybill"), AccountType.PAYBILL.value)
        self.account_type.addItem(_("Buy Goods till"), AccountType.TILL.value)
        self.consumer_key = QLineEdit()
        self.consumer_secret = SecretLineEdit()
        self.shortcode = QLineEdit()
        self.till_number = QLineEdit()
        self.passkey = SecretLineEdit()
        self.shortcode_label = QLabel(_("Paybill number"))
        self.till_number_label = QLabel(_("Till number"))
        self.field_errors = {name: _error_label() for name in FIELD_NAMES}

        # Shown only where the keys live in the passphrase file (no OS keyring on this PC).
        self.change_passphrase_button = QPushButton(_("Change passphrase…"))
        self.change_passphrase_button.setObjectName("flatButton")
        self.change_passphrase_button.hide()
        self.test_button = QPushButton(_("Test"))
        self.save_button = QPushButton(_("Save"))
        self.save_button.setObjectName("primaryButton")
        self.local_status = StatusLabel()
        self.saved_note = ReservedLabel("")
        self.saved_note.setObjectName("hint")

        self.fingerprint = _value_label()
        self.verified = _value_label()
        self.last_test = _value_label()
        self.proven = _value_label()
        self.relay_holds = _value_label()
        self.unpushed = StatusLabel()
        self.test_prompt_button = QPushButton(_("Send a test prompt…"))
        self.test_prompt_button.setToolTip(_("Send a small payment prompt to my phone"))
        # Long and of little use to read in full: shortened in the middle, whole on hover,
        # copied whole by Copy.
        self.callback_url = ElidedLabel(_("Shown after the first push"))
        self.callback_url.setObjectName("value")
        self.copy_button = QPushButton(_("Copy"))
        self.callback_warnings = StatusLabel()
        self.push_button = QPushButton(_("Push to relay"))
        self.push_button.setObjectName("primaryButton")
        self.verify_button = QPushButton(_("Verify on relay"))
        self.trust_key_button = QPushButton(_("Trust the new key…"))
        self.trust_key_button.setObjectName("dangerButton")
        self.trust_key_button.hide()
        self.relay_status = StatusLabel()
        self.checks = StatusLabel()
        self.demo_card = QFrame()
        self.demo_card.setObjectName("card")
        self.demo_card.hide()

        # Side by side on a wide window, one above the other on a narrow one; equal stretch
        # (not content) sets the widths, so a message never moves the other column's buttons.
        self.columns = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.columns.setSpacing(20)
        self.columns.addWidget(self._build_daraja_card(), 1)
        self.columns.addWidget(self._build_relay_card(), 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)
        language_row = QHBoxLayout()
        language_row.setSpacing(10)
        language_row.addWidget(self.language_label)
        language_row.addWidget(self.language)
        language_row.addStretch(1)
        layout.addLayout(language_row)
        layout.addLayout(self.columns)
        layout.addWidget(self.demo_card)
        layout.addStretch(1)
        self._set_tab_order()

    def show_demo_phones(self, intro: str, phones: list[tuple[str, str]]) -> None:
        """Fill and show the demo card: which simulator phone numbers do what."""
        layout = QVBoxLayout(self.demo_card)
        layout.setContentsMargins(20, 14, 20, 16)
        heading = QLabel(_("Demo phone numbers"))
        heading.setObjectName("cardTitle")
        hint = QLabel(intro)
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(3)
        rows = (len(phones) + DEMO_COLUMNS - 1) // DEMO_COLUMNS
        for index, (phone, outcome) in enumerate(phones):
            column = (index // rows) * 2
            number = QLabel(phone)
            number.setObjectName("value")
            number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            top = Qt.AlignmentFlag.AlignTop
            grid.addWidget(number, index % rows, column, top)
            meaning = QLabel(outcome)
            meaning.setWordWrap(True)
            grid.addWidget(meaning, index % rows, column + 1, top)
        for column in range(DEMO_COLUMNS):
            grid.setColumnStretch(column * 2 + 1, 1)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addLayout(grid)
        self.demo_card.show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Stack the two cards when the page is too narrow for both side by side."""
        wide = event.size().width() >= SIDE_BY_SIDE_MIN_WIDTH
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.columns.direction() != direction:
            self.columns.setDirection(direction)
        super().resizeEvent(event)

    def field_widget(self, name: str) -> QWidget:
        """The input widget for a credentials field."""
        widget: QWidget = getattr(self, name)
        return widget

    def _build_daraja_card(self) -> QFrame:
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(4)
        grid.setColumnMinimumWidth(0, 130)
        rows = [
            (QLabel(_("Environment")), self.environment, "environment"),
            (QLabel(_("Account type")), self.account_type, "account_type"),
            (QLabel(_("Consumer key")), self.consumer_key, "consumer_key"),
            (QLabel(_("Consumer secret")), self.consumer_secret, "consumer_secret"),
            (self.shortcode_label, self.shortcode, "shortcode"),
            (self.till_number_label, self.till_number, "till_number"),
            (QLabel(_("Passkey")), self.passkey, "passkey"),
        ]
        for index, (label, widget, name) in enumerate(rows):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(label, index * 2, 0)
            grid.addWidget(widget, index * 2, 1)
            grid.addWidget(self.field_errors[name], index * 2 + 1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.change_passphrase_button)
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_button)
        # Its own line, with room kept for it: the buttons stay where they are after Save.
        self.saved_note.setAlignment(Qt.AlignmentFlag.AlignRight)
        return _card(
            _("Daraja app"),
            _(
                "From your app on Safaricom's developer portal, "
                '<a href="{portal}">developer.safaricom.co.ke</a> (under My Apps). Kept '
                "encrypted on this PC."
            ).format(portal=DARAJA_PORTAL),
            [grid, buttons],
            [self.saved_note, self.local_status],
        )

    def _build_relay_card(self) -> QFrame:
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(10)
        copy_row = QHBoxLayout()
        copy_row.setSpacing(6)
        copy_row.addWidget(self.callback_url, 1)
        copy_row.addWidget(self.copy_button)
        rows = [
            (_("Relay key"), self.fingerprint),
            (_("On the relay"), self.relay_holds),
            (_("Verification"), self.verified),
            (_("Last relay test"), self.last_test),
            (_("Shortcode and passkey"), self.proven),
        ]
        for index, (text, widget) in enumerate(rows):
            label = _right_label(text)
            label.setWordWrap(True)  # "Shortcode and passkey" on two lines on small screens
            grid.addWidget(label, index, 0)
            grid.addWidget(widget, index, 1)
        grid.addWidget(self.test_prompt_button, len(rows), 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(_right_label(_("Callback URL")), len(rows) + 1, 0)
        grid.addLayout(copy_row, len(rows) + 1, 1)
        grid.setColumnStretch(1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.trust_key_button)
        buttons.addStretch(1)
        buttons.addWidget(self.verify_button)
        buttons.addWidget(self.push_button)
        return _card(
            _("Relay"),
            _(
                "The relay starts payments with these credentials and receives Safaricom's "
                "callbacks."
            ),
            [grid, buttons],
            [self.unpushed, self.callback_warnings, self.relay_status, self.checks],
        )

    def _set_tab_order(self) -> None:
        order: list[QWidget] = [
            self.language,
            self.environment,
            self.account_type,
            self.consumer_key,
            self.consumer_secret.line_edit,
            self.shortcode,
            self.till_number,
            self.passkey.line_edit,
            self.test_button,
            self.save_button,
            self.copy_button,
            self.verify_button,
            self.push_button,
            self.test_prompt_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)


def _card(title: str, subtitle: str, layouts: list[object], extra: list[QWidget]) -> QFrame:
    card = QFrame()
    card.setObjectName("card")
    heading = QLabel(title)
    heading.setObjectName("cardTitle")
    hint = QLabel(subtitle)
    hint.setObjectName("hint")
    hint.setWordWrap(True)
    # A link opens in the person's browser; the app itself never calls out.
    hint.setOpenExternalLinks(True)
    layout = QVBoxLayout(card)
    layout.setContentsMargins(20, 16, 20, 18)
    layout.setSpacing(10)
    layout.addWidget(heading)
    layout.addWidget(hint)
    for item in layouts:
        if isinstance(item, (QGridLayout, QHBoxLayout)):
            layout.addLayout(item)
    for widget in extra:
        layout.addWidget(widget)
    layout.addStretch(1)
    return card


def _error_label() -> QLabel:
    # Room for one line even when empty: an error appearing never pushes the buttons down.
    label = ReservedLabel("")
    label.setObjectName("fieldError")
    return label


def _value_label() -> QLabel:
    label = QLabel("—")
    label.setObjectName("value")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


def _right_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return label
