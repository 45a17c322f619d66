"""The owner's plan editor: a small table of presets, checked by the M-PESA rules on save."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import N_, _, ngettext
from bucket_desktop.services.plans import MAX_PLANS, Plan, PlansError, PlanStore, make_plan
from bucket_desktop.ui.common.dialog_helpers import grow_with_messages
from bucket_desktop.ui.common.widgets import StatusKind, StatusLabel

OPEN_WIDTH, OPEN_HEIGHT = 680, 420
COLUMNS = (N_("Name"), N_("Price (KES)"), N_("Reference (12)"), N_("Description (13)"))


class PlansDialogView(QDialog):
    """Layout only: the plans table, add and remove buttons, Save and Cancel, a status line."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        columns: Sequence[str] = COLUMNS,
        intro_text: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Plans"))
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels([_(column) for column in columns])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.add_button = QPushButton(_("Add plan"))
        self.remove_button = QPushButton(_("Remove plan"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        # The app's buttons, as on its pages: Save is the main action.
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setObjectName("primaryButton")
        save.setText(_("Save plans"))
        self.status = StatusLabel()
        intro = QLabel(
            intro_text or _("Plans fill the amount, reference and description at the counter.")
        )
        intro.setWordWrap(True)
        intro.setObjectName("hint")
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        grow_with_messages(self)
        # The layout's minimum (which grow_with_messages makes the dialog's) is narrower than
        # the table's headers need, in Swahili most of all: open it as wide as it was meant.
        self.resize(OPEN_WIDTH, OPEN_HEIGHT)


class PlansDialog:
    """Fills the view from the plans, checks the edits and saves them with the store."""

    def __init__(self, view: PlansDialogView, store: PlanStore, plans: Sequence[Plan]) -> None:
        self.view = view
        self._store = store
        self.saved: tuple[Plan, ...] | None = None
        for plan in plans:
            self._append((plan.name, str(plan.amount), plan.account_reference,
                          plan.transaction_desc))  # fmt: skip
        view.add_button.clicked.connect(self.add_plan)
        view.remove_button.clicked.connect(self.remove_plan)
        view.buttons.accepted.connect(self.save)
        view.buttons.rejected.connect(view.reject)

    def add_plan(self) -> None:
        """A new empty row, ready to type in."""
        if self.view.table.rowCount() >= MAX_PLANS:
            self.view.status.show_status(
                ngettext(
                    "Keep at most {count} plan so it fits on the counter screen.",
                    "Keep at most {count} plans so they fit on the counter screen.",
                    MAX_PLANS,
                ).format(count=MAX_PLANS),
                StatusKind.ERROR,
            )
            return
        self._append(("", "", "", ""))
        new_name = self.view.table.item(self.view.table.rowCount() - 1, 0)
        if new_name is not None:
            self.view.table.editItem(new_name)

    def remove_plan(self) -> None:
        """Drop the selected row."""
        row = self.view.table.currentRow()
        if row >= 0:
            self.view.table.removeRow(row)

    def read(self) -> tuple[Plan, ...]:
        """The plans as edited; PlansError names the first problem."""
        table = self.view.table
        plans = []
        for row in range(table.rowCount()):
            cells = [table.item(row, column) for column in range(len(COLUMNS))]
            texts = [cell.text() if cell is not None else "" for cell in cells]
            if any(text.strip() for text in texts):
                plans.append(make_plan(*texts))
        return tuple(plans)

    def save(self) -> None:
        """Check and store the plans, then close; a problem is shown and nothing is saved."""
        try:
            plans = self.read()
            self._store.save(plans)
        except PlansError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        except OSError as error:
            reason = error.strerror or _("the file could not be written")
            self.view.status.show_status(
                _("The plans were not saved: {reason}.").format(reason=reason), StatusKind.ERROR
            )
            return
        self.saved = plans
        self.view.accept()

    def _append(self, texts: tuple[str, str, str, str]) -> None:
        table = self.view.table
        row = table.rowCount()
        table.insertRow(row)
        for column, text in enumerate(texts):
            table.setItem(row, column, QTableWidgetItem(text))
