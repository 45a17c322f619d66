"""Layout of the Desks page: the provider's desks (tokens), and adding, renaming, revoking."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import N_, _
from bucket_desktop.ui.common.widgets import StatusLabel

HEADERS = (N_("Name"), N_("Role"), N_("Created"), N_("Last used"), N_("From"))
COL_NAME = 0


class DesksPageView(QWidget):
    """Widgets only; `DesksPage` wires them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels([_(header) for header in HEADERS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton(_("Add an attendant desk…"))
        self.add_button.setObjectName("primaryButton")
        self.rename_button = QPushButton(_("Rename…"))
        self.revoke_button = QPushButton(_("Revoke…"))
        self.revoke_button.setObjectName("dangerButton")
        self.refresh_button = QPushButton(_("Refresh"))
        self.status = StatusLabel()

        card = QFrame()
        card.setObjectName("card")
        heading = QLabel(_("Desks"))
        heading.setObjectName("cardTitle")
        hint = QLabel(
            _(
                "Every PC that signs in to your relay is a desk with its own token. Add a desk for "
                "each attendant's PC, and revoke a desk at once if its PC is lost or the attendant "
                "leaves: it is signed out within a moment. Each payment shows the desk that sent "
                "it."
            )
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.rename_button)
        buttons.addWidget(self.revoke_button)
        buttons.addWidget(self.add_button)
        box = QVBoxLayout(card)
        box.setContentsMargins(20, 16, 20, 18)
        box.setSpacing(10)
        box.addWidget(heading)
        box.addWidget(hint)
        box.addWidget(self.table, 1)
        box.addWidget(self.status)
        box.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(card, 1)
