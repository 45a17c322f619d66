"""Layout of the Getting started page: one line per setup step, each with its state and a
button leading to where that step is done."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.owner_setup.checklist import ChecklistLine, Step
from bucket_desktop.ui.common.widgets import StatusLabel

MAX_WIDTH = 900
ACTION_TEXTS = {
    Step.RELAY: N_("Change relay…"),
    Step.SAVED: N_("Open Payment settings"),
    Step.PUSHED: N_("Open Payment settings"),
    Step.PROMPT: N_("Send a test prompt…"),
    Step.PLANS: N_("Edit plans…"),
}


class StepRow:
    """The widgets of one line: a mark, the title over its state, and the action button."""

    def __init__(self, step: Step) -> None:
        self.mark = QLabel("○")
        self.mark.setObjectName("checkMark")
        self.mark.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.mark.setFixedWidth(26)
        self.title = QLabel("")
        self.title.setObjectName("value")
        self.state = QLabel("")
        self.state.setObjectName("hint")
        self.state.setWordWrap(True)
        self.button = QPushButton(_(ACTION_TEXTS[step]))


class SetupChecklistView(QWidget):
    """Widgets only; `SetupChecklist` wires them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = {step: StepRow(step) for step in Step}
        self.summary = StatusLabel()
        self.refresh_button = QPushButton(_("Check again"))

        card = QFrame()
        card.setObjectName("card")
        # On a wide screen each button stays near the line it belongs to.
        card.setMaximumWidth(MAX_WIDTH)
        heading = QLabel(_("Getting started"))
        heading.setObjectName("cardTitle")
        hint = QLabel(
            _(
                "Five steps before the first customer. Each button leads to where the step is "
                "done. This page opens at sign-in until every step is done, and stays in the side "
                "bar afterwards."
            )
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(14)
        for index, row in enumerate(self.rows.values()):
            text = QVBoxLayout()
            text.setSpacing(2)
            text.addWidget(row.title)
            text.addWidget(row.state)
            grid.addWidget(row.mark, index, 0, Qt.AlignmentFlag.AlignTop)
            grid.addLayout(text, index, 1)
            grid.addWidget(row.button, index, 2, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        box = QVBoxLayout(card)
        box.setContentsMargins(20, 16, 20, 18)
        box.setSpacing(12)
        box.addWidget(heading)
        box.addWidget(hint)
        box.addLayout(grid)
        box.addWidget(self.summary)
        box.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(card)
        layout.addStretch(1)

    def show_lines(self, lines: list[ChecklistLine]) -> None:
        """Show each line's state; a done step keeps its button (to look, or to redo)."""
        for line in lines:
            row = self.rows[line.step]
            row.mark.setText("✔" if line.done else "○")
            row.mark.setProperty("done", line.done)
            row.mark.style().unpolish(row.mark)
            row.mark.style().polish(row.mark)
            row.title.setText(line.title)
            row.state.setText(line.state)
            row.button.setEnabled(line.ready)
