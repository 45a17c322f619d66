"""Passphrase dialog for the key file used where no OS keyring exists (DESIGN.md section 8)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from bucket_desktop.i18n import _
from bucket_desktop.services.keystore import KeystoreError
from bucket_desktop.services.owner_setup.fresh_start import FreshStartError, SetAside
from bucket_desktop.services.passphrase_keys import PassphraseKeyFile, PassphraseStore
from bucket_desktop.ui.common.dialog_helpers import grow_with_messages, run_dialog
from bucket_desktop.ui.common.widgets import SecretLineEdit, StatusKind, StatusLabel, busy
from bucket_desktop.ui.passphrase.forgot_view import ForgotPassphraseView
from bucket_desktop.ui.passphrase.texts import creation_advice, length_hint

# Moves the locked files aside (blocking; run in a thread) and says where they went.
StartOver = Callable[[], SetAside]


class PassphraseDialogView(QDialog):
    """Widgets only: passphrase, and its confirmation when creating a key file."""

    def __init__(
        self, creating: bool, reason: str, note: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Create a passphrase") if creating else _("Unlock Payment Bucket"))
        self.setMinimumWidth(500)
        intro = QLabel(
            _(
                "{reason} So the app keeps its keys (for the Daraja credentials and the "
                "relay sign-in saved on this PC) in a file locked with a passphrase."
            ).format(reason=reason)
            if creating
            else _(
                "{reason} So the app keeps its keys (for the Daraja credentials and the "
                "relay sign-in saved on this PC) in a file locked with a passphrase. "
                "Enter the passphrase to unlock them."
            ).format(reason=reason)
        )
        intro.setWordWrap(True)
        # Said before anything is typed: the minimum length and what a lost passphrase costs.
        self.advice = QLabel(creation_advice())
        self.advice.setWordWrap(True)
        self.advice.setObjectName("hint")
        self.advice.setVisible(creating)
        self.passphrase = SecretLineEdit()
        if creating:
            self.passphrase.line_edit.setPlaceholderText(length_hint())
        self.confirmation = SecretLineEdit()
        self.status = StatusLabel()
        self.forgot_button = QPushButton(_("Forgot passphrase?"))
        self.forgot_button.setObjectName("flatButton")
        self.forgot_button.setVisible(not creating)
        self.cancel_button = QPushButton(_("Quit"))
        self.ok_button = QPushButton(_("Create") if creating else _("Unlock"))
        self.ok_button.setObjectName("primaryButton")
        self.ok_button.setDefault(True)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(_("Passphrase"), self.passphrase)
        if creating:
            form.addRow(_("Again"), self.confirmation)
        buttons = QHBoxLayout()
        buttons.addWidget(self.forgot_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(self.advice)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        if note:
            self.status.show_status(note, StatusKind.OK)
        grow_with_messages(self)


class PassphraseDialog:
    """Creates or unlocks the key file; stays open with a sentence after a wrong passphrase.

    With `start_over`, "Forgot passphrase?" explains the loss and can move the locked files
    aside; the dialog then closes with `started_over` set, and the caller asks for a new one.
    """

    def __init__(
        self,
        key_file: PassphraseKeyFile,
        reason: str,
        *,
        start_over: StartOver | None = None,
        note: str = "",
    ) -> None:
        self.key_file = key_file
        self.creating = not key_file.exists()
        self.view = PassphraseDialogView(self.creating, reason, note)
        self.store: PassphraseStore | None = None
        self.started_over: SetAside | None = None
        self.forgot_view: ForgotPassphraseView | None = None  # while open (tests reach it)
        self._start_over = start_over
        self.view.forgot_button.setVisible(not self.creating and start_over is not None)
        self.view.ok_button.clicked.connect(self.submit)
        self.view.cancel_button.clicked.connect(self.view.reject)
        self.view.forgot_button.clicked.connect(self.forgot)

    async def ask(self) -> PassphraseStore | None:
        """Show the dialog; the unlocked store, or None when the person quits or starts over."""
        await run_dialog(self.view)
        return self.store

    @asyncSlot()
    async def submit(self) -> None:
        """Derive the key (slow on purpose, so in a thread) and open or create the file."""
        passphrase = self.view.passphrase.text()
        if self.creating and passphrase != self.view.confirmation.text():
            self.view.status.show_status(_("The two passphrases differ."), StatusKind.ERROR)
            return
        self.view.status.show_status(_("Checking…"), StatusKind.WORKING)
        action = self.key_file.create if self.creating else self.key_file.unlock
        with busy(self.view.ok_button, self.view.passphrase):
            try:
                self.store = await asyncio.to_thread(action, passphrase)
            except KeystoreError as error:
                self.view.status.show_status(str(error), StatusKind.ERROR)
                return
        self.view.accept()

    @asyncSlot()
    async def forgot(self) -> None:
        """Explain what a lost passphrase costs; on request, move the locked files aside."""
        if self._start_over is None:
            return
        forgot = ForgotPassphraseView(self.key_file.path.parent, self.view)
        self.forgot_view = forgot
        forgot.keep_trying_button.clicked.connect(forgot.reject)
        forgot.start_over_button.clicked.connect(lambda: self._move_aside(forgot))
        await run_dialog(forgot)
        self.forgot_view = None
        if self.started_over is not None:
            self.view.reject()

    @asyncSlot()
    async def _move_aside(self, forgot: ForgotPassphraseView) -> None:
        assert self._start_over is not None
        with busy(forgot.start_over_button, forgot.keep_trying_button):
            try:
                self.started_over = await asyncio.to_thread(self._start_over)
            except FreshStartError as error:
                forgot.status.show_status(str(error), StatusKind.ERROR)
                return
        forgot.accept()
