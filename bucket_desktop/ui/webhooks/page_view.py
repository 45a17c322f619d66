"""Layout of the Webhooks page: the endpoints above, the chosen endpoint's delivery log below."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import N_, _
from bucket_desktop.ui.common.widgets import StatusLabel

ENDPOINT_HEADERS = (N_("Address"), N_("Events"), N_("State"), N_("Last success"))
COL_URL, COL_EVENTS, COL_STATE, COL_SUCCESS = range(4)
LOG_HEADERS = (
    N_("Time"),
    N_("Event"),
    N_("Answer"),
    N_("Took"),
    N_("Attempt"),
    N_("Next try"),
    N_("Receiver said"),
)
COL_LOG_TIME, COL_LOG_BODY = 0, 6


def _table(
    headers: tuple[str, ...], stretch: int, fixed: dict[int, int] | None = None
) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels([_(header) for header in headers])
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    # Long columns get a set width (their text is elided, whole in the tooltip), so the
    # stretching column keeps room on a 1024x600 screen.
    for column, width in (fixed or {}).items():
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        table.setColumnWidth(column, width)
    return table


def _card(title: str, hint: str | None = None) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("card")
    box = QVBoxLayout(card)
    box.setContentsMargins(20, 14, 20, 14)
    box.setSpacing(8)
    heading = QLabel(title)
    heading.setObjectName("cardTitle")
    box.addWidget(heading)
    if hint:
        text = QLabel(hint)
        text.setObjectName("hint")
        text.setWordWrap(True)
        box.addWidget(text)
    return card, box


class WebhooksPageView(QWidget):
    """Widgets only; `WebhooksPage` wires them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.endpoints = _table(ENDPOINT_HEADERS, COL_URL, {COL_EVENTS: 190, COL_STATE: 170})
        self.add_button = QPushButton(_("Add endpoint…"))
        self.add_button.setObjectName("primaryButton")
        self.edit_button = QPushButton(_("Edit…"))
        self.toggle_button = QPushButton(_("Disable"))
        self.delete_button = QPushButton(_("Delete…"))
        self.delete_button.setObjectName("dangerButton")
        self.rotate_button = QPushButton(_("Rotate secret…"))
        self.test_button = QPushButton(_("Send test"))
        self.status = StatusLabel()
        self.log = _table(LOG_HEADERS, COL_LOG_BODY, {COL_LOG_TIME: 130})
        self.log_title = QLabel(_("Deliveries"))
        self.log_title.setObjectName("cardTitle")
        self.endpoint_state = StatusLabel()
        self.redeliver_button = QPushButton(_("Redeliver"))
        self.refresh_button = QPushButton(_("Refresh"))

        top, top_box = _card(
            _("Endpoints"),
            _(
                "Your own portal or billing system hears about every payment: the relay calls each "
                "address below, signed with its secret (Standard Webhooks). See docs/webhooks.md "
                "for the events and how to check the signature."
            ),
        )
        top_box.addWidget(self.endpoints, 1)
        top_box.addWidget(self.status)
        actions = QHBoxLayout()
        for button in (
            self.add_button,
            self.edit_button,
            self.test_button,
            self.rotate_button,
            self.toggle_button,
            self.delete_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        top_box.addLayout(actions)

        bottom = QFrame()
        bottom.setObjectName("card")
        bottom_box = QVBoxLayout(bottom)
        bottom_box.setContentsMargins(20, 14, 20, 14)
        bottom_box.setSpacing(8)
        bottom_box.addWidget(self.log_title)
        bottom_box.addWidget(self.endpoint_state)
        bottom_box.addWidget(self.log, 1)
        log_actions = QHBoxLayout()
        log_actions.addWidget(self.refresh_button)
        log_actions.addStretch(1)
        log_actions.addWidget(self.redeliver_button)
        bottom_box.addLayout(log_actions)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)  # the log has more rows to show
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter, 1)
