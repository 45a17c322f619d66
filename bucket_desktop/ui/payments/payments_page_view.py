"""Layout of the Payments page: today's figures, filters, the table and a 30-day chart."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import _
from bucket_desktop.ui.common.widgets import StatusLabel
from bucket_desktop.ui.payments.daily_chart import DailyChart

PAGE_STYLE = """
QLabel#figureTitle { color: #57606a; }
QLabel#figure { font-size: 22px; font-weight: 700; color: #24292f; }
QLabel#figureNote { color: #57606a; }
QLabel#muted { color: #57606a; }
QLabel#connection { padding: 3px 10px; border-radius: 10px; background: #eaeef2;
                    color: #57606a; font-weight: 600; }
QTableView { outline: 0; selection-background-color: #d8efe0; selection-color: #102a1b; }
QLabel#connection[kind="live"] { background: #dafbe1; color: #1a7f37; }
QLabel#connection[kind="reconnecting"] { background: #fff8c5; color: #9a6700; }
QLabel#connection[kind="refused"] { background: #ffebe9; color: #b42318; }
"""  # i18n: keep (Qt style sheet)

ROW_HEIGHT = 26


def _label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    return label


class FigureCard(QFrame):
    """A titled number with a note under it."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.setObjectName("card")
        self.value = _label(_("KES 0"), "figure")
        self.note = _label("", "figureNote")
        box = QVBoxLayout(self)
        box.setContentsMargins(16, 10, 16, 10)
        box.setSpacing(2)
        box.addWidget(_label(title, "figureTitle"))
        box.addWidget(self.value)
        box.addWidget(self.note)


class PaymentsPageView(QWidget):
    """Public widgets: figures, search and filters, export, table, chart, connection badge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(PAGE_STYLE)
        self.today_card = FigureCard(_("Paid today"))
        self.month_card = FigureCard(_("Paid in the last 30 days"))
        self.connection = _label(_("Not connected"), "connection")
        self.connection.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.connection_note = _label("", "muted")
        self.connection_note.setWordWrap(True)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(_("Search phone, receipt or reference  (Ctrl+F)"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_shortcut = QShortcut(QKeySequence.StandardKey.Find, self)
        self.status_combo = QComboBox()
        self.period_combo = QComboBox()
        self.count_label = _label("", "muted")
        self.export_button = QPushButton(_("Export CSV…"))
        self.table = QTableView()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        # Fixed row heights let Qt skip measuring 100,000 rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setHighlightSections(False)
        self.chart = DailyChart()
        self.status = StatusLabel()
        self.retry_button = QPushButton(_("Retry delivery"))
        self.retry_button.setToolTip(
            _("Try again now to put the customer's access on the router (RADIUS or MikroTik).")
        )
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addLayout(self._figures_row())
        layout.addLayout(self._filter_row())
        layout.addWidget(self.table, 1)
        under_table = QHBoxLayout()
        under_table.addWidget(self.status, 1)
        under_table.addWidget(self.retry_button)
        layout.addLayout(under_table)
        layout.addWidget(self._chart_card())

    def _figures_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(12)
        row.addWidget(self.today_card, 1)
        row.addWidget(self.month_card, 1)
        row.addWidget(self._connection_card(), 1)
        return row

    def _connection_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        box = QVBoxLayout(card)
        box.setContentsMargins(16, 10, 16, 10)
        box.setSpacing(4)
        box.addWidget(_label(_("Relay connection"), "figureTitle"))
        box.addWidget(self.connection, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(self.connection_note)
        box.addStretch(1)
        return card

    def _filter_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.search_edit, 3)
        row.addWidget(self.status_combo, 1)
        row.addWidget(self.period_combo, 1)
        row.addWidget(self.count_label)
        row.addWidget(self.export_button)
        return row

    def _chart_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("card")
        box = QVBoxLayout(card)
        box.setContentsMargins(16, 10, 16, 10)
        box.setSpacing(4)
        box.addWidget(_label(_("Paid per day, last 30 days"), "cardTitle"))
        box.addWidget(self.chart)
        return card
