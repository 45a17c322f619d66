"""Layout of the main window: header, sidebar of pages, page stack, message banner."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from bucket_desktop.i18n import _
from bucket_desktop.ui.common.widgets import StatusLabel

SIDEBAR_WIDTH = 190
MIN_WIDTH, MIN_HEIGHT = 800, 520


class MainWindowView(QMainWindow):
    """The window's widgets; `close_requested` fires when the person closes it."""

    close_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(_("Payment Bucket"))
        # Fits a 1024x600 netbook screen (or 1366x768 at 125 %) with a task bar.
        self.setMinimumSize(QSize(MIN_WIDTH, MIN_HEIGHT))

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(SIDEBAR_WIDTH)
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages = QStackedWidget()

        self.title_label = QLabel(_("Payment Bucket"))
        self.title_label.setObjectName("pageTitle")
        self.identity_label = QLabel(_("Not signed in"))
        self.identity_label.setObjectName("identity")
        self.relay_label = QLabel("")
        self.relay_label.setObjectName("relayAddress")
        self.connection_button = QPushButton(_("Change relay…"))
        self.connection_button.setObjectName("flatButton")
        self.about_button = QPushButton(_("About"))
        self.about_button.setObjectName("flatButton")
        # Named in the language it switches to, so an attendant who reads only that one finds
        # it; on every desk, since attendants never see the Settings page.
        self.language_button = QPushButton("")
        self.language_button.setObjectName("flatButton")
        self.banner = StatusLabel()
        self.banner.setObjectName("banner")
        self.banner_close = QPushButton(_("Dismiss"))
        self.banner_close.setObjectName("flatButton")
        # Busy while the app starts (the demo's simulator and relay): no number, no guess.
        self.progress = QProgressBar()
        self.progress.setObjectName("startProgress")
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.hide()
        # Red, above every page, until someone says they saw it (a paid payment turned bad).
        self.alert = StatusLabel()
        self.alert.setObjectName("alert")
        self.alert_ack = QPushButton(_("I have seen this"))
        self.alert_ack.setObjectName("alertButton")

        self.setCentralWidget(self._build_body())

    def _build_body(self) -> QWidget:
        brand = QLabel(_("Payment Bucket"))
        brand.setObjectName("brand")
        side = QFrame()
        side.setObjectName("sidePanel")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(0)
        side_layout.addWidget(brand)
        side_layout.addWidget(self.sidebar, 1)

        content = QWidget()
        content.setObjectName("content")
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(22, 12, 22, 12)
        content_layout.setSpacing(12)
        content_layout.addLayout(self._build_header())
        content_layout.addLayout(self._build_alert())
        content_layout.addLayout(self._build_banner())
        content_layout.addWidget(self.progress)
        content_layout.addWidget(self.pages, 1)

        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(side)
        layout.addWidget(content, 1)
        return body

    def _build_header(self) -> QHBoxLayout:
        who = QVBoxLayout()
        who.setSpacing(0)
        who.addWidget(self.identity_label, 0, Qt.AlignmentFlag.AlignRight)
        who.addWidget(self.relay_label, 0, Qt.AlignmentFlag.AlignRight)
        header = QHBoxLayout()
        header.addWidget(self.title_label, 1)
        header.addLayout(who)
        header.addWidget(self.connection_button)
        header.addWidget(self.language_button)
        header.addWidget(self.about_button)
        return header

    def _build_alert(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(0)
        row.addWidget(self.alert, 1)
        # As tall as the alert beside it, whatever its number of lines.
        self.alert_ack.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        row.addWidget(self.alert_ack)
        self.alert_ack.hide()
        return row

    def _build_banner(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(self.banner, 1)
        row.addWidget(self.banner_close, 0, Qt.AlignmentFlag.AlignTop)
        self.banner_close.hide()
        return row

    def closeEvent(self, event: QCloseEvent) -> None:
        """Let the controller save state and shut down before the window goes."""
        self.close_requested.emit()
        super().closeEvent(event)
