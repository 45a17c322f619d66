"""Small reusable widgets: a secret field with show/hide, a status line, busy controls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QWidget,
)

from bucket_desktop.i18n import _


class StatusKind(StrEnum):
    """How a status line is coloured (see resources/style.qss)."""

    NEUTRAL = "neutral"
    WORKING = "working"
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


class StatusLabel(QLabel):
    """One line (or a few) of status text whose colour follows its kind."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setObjectName("status")
        self.show_status("", StatusKind.NEUTRAL)

    @property
    def kind(self) -> StatusKind:
        """The current kind."""
        return StatusKind(str(self.property("kind")))

    def show_status(self, text: str, kind: StatusKind = StatusKind.NEUTRAL) -> None:
        """Show `text` coloured for `kind`; hidden when empty."""
        self.setText(text)
        self.setProperty("kind", kind.value)
        # A dynamic property only restyles after the style is re-applied.
        self.style().unpolish(self)
        self.style().polish(self)
        self.setVisible(bool(text))


class ReservedLabel(QLabel):
    """A wrapped label that always keeps room for `lines` lines, even when empty or shorter.

    For hints and errors under fields: a message that appears or changes length must not move
    the fields and buttons below it under the person's mouse.
    """

    def __init__(self, text: str = "", lines: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._lines = lines
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

    def _reserved(self) -> int:
        # Measured now, not at construction: the style sheet's font applies when polished.
        margins = self.contentsMargins()
        sample = "\n".join("X" * self._lines)
        text_height = self.fontMetrics().boundingRect(QRect(0, 0, 1000, 1000), 0, sample).height()
        return text_height + margins.top() + margins.bottom()

    def minimumSizeHint(self) -> QSize:
        """At least the reserved lines high."""
        hint = super().minimumSizeHint()
        return QSize(hint.width(), max(hint.height(), self._reserved()))

    def sizeHint(self) -> QSize:
        """At least the reserved lines high."""
        hint = super().sizeHint()
        return QSize(hint.width(), max(hint.height(), self._reserved()))

    def heightForWidth(self, width: int) -> int:
        """At least the reserved lines high, at any width."""
        return max(super().heightForWidth(width), self._reserved())


class ElidedLabel(QLabel):
    """One line of text shortened in the middle to fit (`…`), the whole of it on hover.

    `text()` is always the full text; fit checks skip it (property `elided`), since shortening
    is its job.
    """

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._placeholder = placeholder
        self.setProperty("elided", True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setMinimumWidth(120)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText("")

    def text(self) -> str:
        """The full text."""
        return self._full

    def setText(self, text: str) -> None:
        """Show `text`, shortened in the middle when the label is too narrow."""
        self._full = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Shorten again for the new width."""
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self._full or self._placeholder
        width = max(0, self.contentsRect().width())
        elided = self.fontMetrics().elidedText(shown, Qt.TextElideMode.ElideMiddle, width)
        super().setText(elided)


class SecretLineEdit(QWidget):
    """A masked line edit with a Show/Hide button beside it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_edit = QLineEdit(self)
        self.line_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.toggle_button = QPushButton(_("Show"), self)
        self.toggle_button.setObjectName("revealButton")
        self.toggle_button.setCheckable(True)
        self.toggle_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.toggle_button.toggled.connect(self._set_revealed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.line_edit, 1)
        layout.addWidget(self.toggle_button)
        self.setFocusProxy(self.line_edit)

    def text(self) -> str:
        """The secret as typed."""
        return self.line_edit.text()

    def setText(self, text: str) -> None:
        """Replace the secret."""
        self.line_edit.setText(text)

    def is_revealed(self) -> bool:
        """True when the secret is shown in clear."""
        return self.line_edit.echoMode() == QLineEdit.EchoMode.Normal

    def _set_revealed(self, revealed: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if revealed else QLineEdit.EchoMode.Password
        self.line_edit.setEchoMode(mode)
        self.toggle_button.setText(_("Hide") if revealed else _("Show"))


@contextmanager
def busy(*widgets: QWidget) -> Iterator[None]:
    """Disable `widgets` while work runs, and always enable them again."""
    for widget in widgets:
        widget.setEnabled(False)
    try:
        yield
    finally:
        for widget in widgets:
            widget.setEnabled(True)


def scrollable(page: QWidget) -> QScrollArea:
    """`page` in a frameless vertical scroll area, for small screens."""
    area = QScrollArea()
    area.setObjectName("pageScroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(page)
    return area
