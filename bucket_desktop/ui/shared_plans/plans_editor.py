"""The owner's editor of the relay's plans: add, change, remove (archived when in use)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QTableWidgetItem, QWidget

from bucket_desktop.i18n import N_, _, ngettext
from bucket_desktop.services.plans import MAX_PLANS, Plan, PlansError
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.services.shared_plans.relay_plans import JsonCaller, save_plans, shared_plan
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.shared_plans.plans_dialog import PlansDialogView

COLUMNS = (
    N_("Name"),
    N_("Price (KES)"),
    N_("Minutes"),
    N_("Reference (12)"),
    N_("Description (13)"),
)
INTRO = N_(
    "These plans are kept on the relay: every desk of the shop charges the same prices. A plan "
    "already sold is archived, never lost; payments keep the terms they were sold on."
)


def editor_view(parent: QWidget | None = None) -> PlansDialogView:
    """The editor's window: the plans dialog with a Minutes column."""
    view = PlansDialogView(parent, columns=COLUMNS, intro_text=_(INTRO))
    view.setWindowTitle(_("Plans on the relay"))
    view.setMinimumSize(720, 400)
    return view


class SharedPlansEditor(QObject):
    """Fills the table from the relay's plans, checks the edits and writes them to the relay."""

    saved = Signal(int)  # how many plans were written

    def __init__(
        self,
        view: PlansDialogView,
        relay: JsonCaller,
        plans: Sequence[Plan],
        kept: dict[int, dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(view)
        self.view = view
        self._relay = relay
        self._before = tuple(plans)
        self._kept = kept or {}
        self._tasks = TaskSet()
        for plan in plans:
            minutes = str(plan.duration_minutes or "")
            self._append((plan.name, str(plan.amount), minutes, plan.account_reference,
                          plan.transaction_desc), plan.plan_id)  # fmt: skip
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
        self._append(("", "", "", "", ""), None)

    def remove_plan(self) -> None:
        """Drop the selected row (the relay archives it if it was ever sold)."""
        row = self.view.table.currentRow()
        if row >= 0:
            self.view.table.removeRow(row)

    def read(self) -> tuple[Plan, ...]:
        """The plans as edited; PlansError names the first problem."""
        table = self.view.table
        plans = []
        names: set[str] = set()
        for row in range(table.rowCount()):
            cells = [table.item(row, column) for column in range(len(COLUMNS))]
            texts = [cell.text() if cell is not None else "" for cell in cells]
            if not any(text.strip() for text in texts):
                continue
            name_cell = cells[0]
            plan_id = name_cell.data(Qt.ItemDataRole.UserRole) if name_cell else None
            name, price, minutes, reference, desc = texts
            plan = shared_plan(name, price, minutes, reference, desc, plan_id=plan_id)
            if plan.name.casefold() in names:
                raise PlansError(
                    _("Two plans are called {name}: give each a different name.").format(
                        name=plan.name
                    )
                )
            names.add(plan.name.casefold())
            plans.append(plan)
        return tuple(plans)

    def save(self) -> None:
        """Check the edits, then write them to the relay; a problem is shown, the window stays."""
        try:
            plans = self.read()
        except PlansError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        self.view.buttons.setEnabled(False)
        self._tasks.start(self._save(plans))

    async def _save(self, plans: tuple[Plan, ...]) -> None:
        self.view.status.show_status(_("Saving the plans on the relay…"), StatusKind.WORKING)
        try:
            writes = await save_plans(self._relay, self._before, plans, self._kept)
        except RelayError as error:
            # Some writes may have been made: the desks' plans refresh from the relay anyway.
            self.view.status.show_status(
                _("Not all plans were saved: {error}").format(error=error), StatusKind.ERROR
            )
            return
        finally:
            self.view.buttons.setEnabled(True)
        self.saved.emit(writes)
        self.view.accept()

    def _append(self, texts: tuple[str, ...], plan_id: int | None) -> None:
        table = self.view.table
        row = table.rowCount()
        table.insertRow(row)
        for column, text in enumerate(texts):
            item = QTableWidgetItem(text)
            if column == 0:
                item.setData(Qt.ItemDataRole.UserRole, plan_id)
            table.setItem(row, column, item)
