"""Layout of the Platform page: the providers table above, the chosen provider's detail below."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import N_, _
from bucket_desktop.ui.common.widgets import StatusLabel
from bucket_desktop.ui.platform.providers_model import COL_NAME

TOKEN_HEADERS = (N_("Name"), N_("Role"), N_("Last used"), N_("From"))
AUDIT_HEADERS = (N_("When"), N_("Who"), N_("From"), N_("Change"), N_("Detail"))


def _table(headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels([_(header) for header in headers])
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


class ProvidersTable(QTableView):
    """The providers table: the name column takes the spare width on a large screen, and keeps
    its own width on a small one (the last columns then scroll instead of the names vanishing).
    """

    def fit_columns(self) -> None:
        """Columns as wide as their contents; the name stretches when everything fits."""
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        model = self.model()
        columns = model.columnCount() if model is not None else 0
        needed = sum(
            max(self.sizeHintForColumn(column), header.sectionSizeHint(column))
            for column in range(columns)
        )
        if columns and needed <= self.viewport().width():
            header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Fit the columns to the new width."""
        super().resizeEvent(event)
        self.fit_columns()


class PlatformPageView(QWidget):
    """Widgets only; `PlatformPage` wires them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Search by name or number"))
        self.search.setClearButtonEnabled(True)
        self.attention_only = QCheckBox(_("Needs attention only"))
        self.summary = QLabel("")
        self.summary.setObjectName("hint")
        self.refresh_button = QPushButton(_("Refresh"))
        self.new_button = QPushButton(_("New provider…"))
        self.new_button.setObjectName("primaryButton")
        self.table = ProvidersTable()
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.status = StatusLabel()

        self.detail_title = QLabel(_("Choose a provider"))
        self.detail_title.setObjectName("cardTitle")
        self.detail_facts = QLabel("")
        self.detail_facts.setWordWrap(True)
        self.detail_facts.setObjectName("hint")
        self.detail_facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.disable_button = QPushButton(_("Disable…"))
        self.disable_button.setObjectName("dangerButton")
        self.issue_button = QPushButton(_("Issue token…"))
        self.revoke_button = QPushButton(_("Revoke token…"))
        self.tokens = _table(TOKEN_HEADERS)
        self.audit = _table(AUDIT_HEADERS)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.audit, _("Recent changes"))
        self.tabs.addTab(self.tokens, _("Tokens"))

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._providers_card())
        splitter.addWidget(self._detail_card())
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter, 1)

    def _providers_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.attention_only)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.new_button)
        box = QVBoxLayout(card)
        box.setContentsMargins(14, 12, 14, 10)
        box.setSpacing(8)
        box.addLayout(bar)
        box.addWidget(self.table, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.summary)
        footer.addWidget(self.status, 1)
        box.addLayout(footer)
        return card

    def _detail_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        head = QHBoxLayout()
        head.addWidget(self.detail_title, 1)
        head.addWidget(self.issue_button)
        head.addWidget(self.revoke_button)
        head.addWidget(self.disable_button)
        box = QVBoxLayout(card)
        box.setContentsMargins(14, 10, 14, 12)
        box.setSpacing(6)
        box.addLayout(head)
        box.addWidget(self.detail_facts)
        box.addWidget(self.tabs, 1)
        return card
