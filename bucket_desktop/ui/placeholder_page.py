"""A page that is planned but not built yet; it says so plainly."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


class ComingSoonPage(QFrame):
    """Centered 'coming soon' notice with a sentence on what the page will do."""

    def __init__(self, title: str, promise: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comingSoon")
        self.badge = QLabel("Coming soon")
        self.badge.setObjectName("comingSoonBadge")
        self.heading = QLabel(f"{title} is not available yet")
        self.heading.setObjectName("comingSoonHeading")
        self.body = QLabel(promise)
        self.body.setObjectName("comingSoonBody")
        self.body.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.setContentsMargins(80, 0, 80, 0)
        layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignHCenter)
        for label in (self.heading, self.body):
            # Added without an alignment flag so the wrapped text gets its full height.
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            layout.addWidget(label)
        layout.addStretch(2)
