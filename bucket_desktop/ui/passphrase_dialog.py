"""Passphrase dialog for the key file used where no OS keyring exists (DESIGN.md section 8)."""

from __future__ import annotations

import asyncio

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

from bucket_desktop.services.keystore import KeystoreError, PassphraseKeyFile, PassphraseStore
from bucket_desktop.ui.dialog_helpers import grow_with_messages, run_dialog
from bucket_desktop.ui.widgets import SecretLineEdit, StatusKind, StatusLabel, busy


class PassphraseDialogView(QDialog):
    """Widgets only: passphrase, and its confirmation when creating a key file."""

    def __init__(self, creating: bool, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create a passphrase" if creating else "Unlock Payment Bucket")
        self.setMinimumWidth(480)
        intro = QLabel(
            f"{reason} Your keys are kept in a file protected by a passphrase instead. "
            + (
                "Choose one you will remember: it cannot be recovered."
                if creating
                else "Enter the passphrase to unlock them."
            )
        )
        intro.setWordWrap(True)
        self.passphrase = SecretLineEdit()
        self.confirmation = SecretLineEdit()
        self.status = StatusLabel()
        self.cancel_button = QPushButton("Quit")
        self.ok_button = QPushButton("Create" if creating else "Unlock")
        self.ok_button.setObjectName("primaryButton")
        self.ok_button.setDefault(True)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow("Passphrase", self.passphrase)
        if creating:
            form.addRow("Again", self.confirmation)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        grow_with_messages(self)


class PassphraseDialog:
    """Creates or unlocks the key file; stays open with a sentence after a wrong passphrase."""

    def __init__(self, key_file: PassphraseKeyFile, reason: str) -> None:
        self.key_file = key_file
        self.creating = not key_file.exists()
        self.view = PassphraseDialogView(self.creating, reason)
        self.store: PassphraseStore | None = None
        self.view.ok_button.clicked.connect(self.submit)
        self.view.cancel_button.clicked.connect(self.view.reject)

    async def ask(self) -> PassphraseStore | None:
        """Show the dialog; the unlocked store, or None when the person quits."""
        await run_dialog(self.view)
        return self.store

    @asyncSlot()
    async def submit(self) -> None:
        """Derive the key (slow on purpose, so in a thread) and open or create the file."""
        passphrase = self.view.passphrase.text()
        if self.creating and passphrase != self.view.confirmation.text():
            self.view.status.show_status("The two passphrases differ.", StatusKind.ERROR)
            return
        self.view.status.show_status("Checking…", StatusKind.WORKING)
        action = self.key_file.create if self.creating else self.key_file.unlock
        with busy(self.view.ok_button, self.view.passphrase):
            try:
                self.store = await asyncio.to_thread(action, passphrase)
            except KeystoreError as error:
                self.view.status.show_status(str(error), StatusKind.ERROR)
                return
        self.view.accept()
