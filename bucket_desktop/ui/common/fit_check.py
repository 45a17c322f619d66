"""Finds widgets that a window shows cut off or out of reach: for tests and screenshot scripts.

A button or label is clipped when its geometry is smaller than its size hint (or, for wrapped
text, shorter than the height its width needs), or when an ancestor cuts it off. Anything inside
a scroll area's content counts as reachable: the person can scroll to it. Labels that shorten
long values on purpose (`ElidedLabel`) and the insides of tables are left out.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QWidget,
)

TOLERANCE_PX = 1
CHECKED = (QAbstractButton, QLabel, QLineEdit, QComboBox, QAbstractItemView, QFrame)


def clipped_widgets(window: QWidget) -> list[str]:
    """A line per visible widget that is cut off or out of reach, naming it and its text."""
    problems: list[str] = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CHECKED) or not widget.isVisibleTo(window):
            continue
        if _inside_item_view(widget) or widget.property("elided"):
            continue
        problem = _size_problem(widget) or _reach_problem(widget, window)
        if problem:
            problems.append(f"{_describe(widget)}: {problem}")
    return problems


def _size_problem(widget: QWidget) -> str:
    if isinstance(widget, QAbstractItemView | QFrame) and not isinstance(widget, QLabel):
        return ""  # tables and cards scroll or lay out their insides; only their reach counts
    hint = widget.sizeHint()
    size = widget.size()
    if isinstance(widget, QLabel) and widget.wordWrap():
        needed = widget.heightForWidth(size.width())
        if needed > size.height() + TOLERANCE_PX:
            return f"needs {needed} px of height at width {size.width()}, has {size.height()}"
        return ""
    if isinstance(widget, QLabel | QAbstractButton) and not _text(widget):
        return ""
    if isinstance(widget, QLineEdit):
        hint = widget.minimumSizeHint()  # a line edit scrolls its text; its height must fit
        if size.height() + TOLERANCE_PX < hint.height():
            return f"{size.height()} px high, needs {hint.height()}"
        return ""
    if size.width() + TOLERANCE_PX < hint.width() or size.height() + TOLERANCE_PX < hint.height():
        return f"{size.width()}x{size.height()} px, needs {hint.width()}x{hint.height()}"
    return ""


def _reach_problem(widget: QWidget, window: QWidget) -> str:
    """Cut off by an ancestor (that is not a scroll area's content, which scrolls)."""
    child: QWidget = widget
    rect = QRect(widget.rect())
    parent = widget.parentWidget()
    while parent is not None:
        rect.translate(child.pos())
        area = parent.parentWidget()
        if isinstance(area, QScrollArea):
            # The content scrolls up and down; sideways only when the area allows it.
            if _scrolls_sideways(area) or rect.right() <= parent.width() + TOLERANCE_PX:
                return ""
            return f"wider than its scroll area ({rect.right()} > {parent.width()} px)"
        bounds = parent.rect().adjusted(-TOLERANCE_PX, -TOLERANCE_PX, TOLERANCE_PX, TOLERANCE_PX)
        if not bounds.contains(rect):
            return f"cut off by {_describe(parent)} ({_geometry(rect)} outside {_geometry(bounds)})"
        if parent is window:
            return ""
        child, parent = parent, parent.parentWidget()
    return ""


def _scrolls_sideways(area: QScrollArea) -> bool:
    return area.horizontalScrollBarPolicy() is not Qt.ScrollBarPolicy.ScrollBarAlwaysOff


def _inside_item_view(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractItemView):
            return True
        parent = parent.parentWidget()
    return False


def _text(widget: QWidget) -> str:
    if isinstance(widget, QLabel | QAbstractButton):
        return widget.text()
    if isinstance(widget, QLineEdit):
        return widget.text() or widget.placeholderText()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    return ""


def _describe(widget: QWidget) -> str:
    name = widget.objectName()
    text = _text(widget).replace("\n", " ")[:40]
    return f"{type(widget).__name__}{'#' + name if name else ''} {text!r}"


def _geometry(rect: QRect) -> str:
    return f"{rect.x()},{rect.y()} {rect.width()}x{rect.height()}"
