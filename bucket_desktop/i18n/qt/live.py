"""Switching the language while the app runs, without rebuilding a page.

Every widget stays as it is (what was typed, the page on screen, the signed-in session, a
prompt waiting for a PIN); only the texts change. `Retranslator` recognises each shown text as
a message (formatted or not) and gives it in the new language; the rules pages follow for this
to work are in the `bucket_desktop.i18n` docstring.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QSpinBox,
    QTabBar,
    QTableWidget,
    QTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from bucket_desktop.i18n import current_translations, seen_messages, set_language
from bucket_desktop.i18n.qt.standard_texts import QtTexts, install_qt_texts
from bucket_desktop.i18n.retranslate import Retranslator

log = logging.getLogger(__name__)


def apply_language(code: str) -> str:
    """Use `code` from now on and put every text on screen into it; returns the code in use."""
    old = current_translations()
    code = set_language(code)
    app = QCoreApplication.instance()
    if app is not None:
        current = next(iter(app.findChildren(QtTexts)), None)
        install_qt_texts(app, current)
    if isinstance(app, QApplication):
        retranslate = Retranslator(old, current_translations(), seen_messages())
        for widget in app.allWidgets():
            retranslate_widget(widget, retranslate)
    log.info("Language set to %s.", code)
    return code


def retranslate_widget(widget: QWidget, tr: Retranslator) -> None:
    """Put the texts of one widget (not its children) into the new language."""
    _common(widget, tr)
    if isinstance(widget, (QLabel, QAbstractButton)):
        _swap(widget.text, widget.setText, tr)
    elif isinstance(widget, QGroupBox):
        _swap(widget.title, widget.setTitle, tr)
    elif isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit)):
        # Never what was typed: only the grey hint.
        _swap(widget.placeholderText, widget.setPlaceholderText, tr)
    elif isinstance(widget, QComboBox):
        for index in range(widget.count()):
            widget.setItemText(index, tr(widget.itemText(index)))
    elif isinstance(widget, QTabBar):
        for index in range(widget.count()):
            widget.setTabText(index, tr(widget.tabText(index)))
            widget.setTabToolTip(index, tr(widget.tabToolTip(index)))
    elif isinstance(widget, QAbstractSpinBox):
        if isinstance(widget, QSpinBox):
            _swap(widget.prefix, widget.setPrefix, tr)
            _swap(widget.suffix, widget.setSuffix, tr)
        _swap(widget.specialValueText, widget.setSpecialValueText, tr)
    elif isinstance(widget, QProgressBar):
        _swap(widget.format, widget.setFormat, tr)
    elif isinstance(widget, QMenu):
        _swap(widget.title, widget.setTitle, tr)
    if isinstance(widget, QAbstractItemView):
        _item_view(widget, tr)
    _python_attributes(widget, tr)
    widget.update()


def _common(widget: QWidget, tr: Retranslator) -> None:
    _swap(widget.toolTip, widget.setToolTip, tr)
    _swap(widget.statusTip, widget.setStatusTip, tr)
    _swap(widget.whatsThis, widget.setWhatsThis, tr)
    _swap(widget.accessibleName, widget.setAccessibleName, tr)
    _swap(widget.accessibleDescription, widget.setAccessibleDescription, tr)
    if widget.isWindow():
        _swap(widget.windowTitle, widget.setWindowTitle, tr)
    for action in widget.actions():
        _swap(action.text, action.setText, tr)
        _swap(action.toolTip, action.setToolTip, tr)


def _item_view(view: QAbstractItemView, tr: Retranslator) -> None:
    if isinstance(view, QTableWidget):
        for column in range(view.columnCount()):
            title = view.horizontalHeaderItem(column)
            if title is not None:
                title.setText(tr(title.text()))
        for row in range(view.rowCount()):
            for column in range(view.columnCount()):
                item = view.item(row, column)
                if item is not None:
                    item.setText(tr(item.text()))
                    item.setToolTip(tr(item.toolTip()))
    elif isinstance(view, QListWidget):
        for row in range(view.count()):
            entry = view.item(row)
            entry.setText(tr(entry.text()))
            entry.setToolTip(tr(entry.toolTip()))
    elif isinstance(view, QTreeWidget):
        _tree_item(view.headerItem(), tr)
        for index in range(view.topLevelItemCount()):
            _tree_item(view.topLevelItem(index), tr)
    else:
        # A model of our own answers data()/headerData() with _() when asked: ask again.
        model = view.model()
        rows, columns = model.rowCount(), model.columnCount()
        if columns > 0:
            model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, columns - 1)
        if rows > 0 and columns > 0:
            model.dataChanged.emit(model.index(0, 0), model.index(rows - 1, columns - 1))
        view.viewport().update()


def _tree_item(item: QTreeWidgetItem | None, tr: Retranslator) -> None:
    if item is None:
        return
    for column in range(item.columnCount()):
        item.setText(column, tr(item.text(column)))
    for index in range(item.childCount()):
        _tree_item(item.child(index), tr)


def _python_attributes(widget: QWidget, tr: Retranslator) -> None:
    # A widget of ours may keep a text to show later (ElidedLabel's placeholder): a plain
    # string attribute that is exactly a message in the old language takes the new one.
    attributes = getattr(widget, "__dict__", {})
    changed = False
    for name, value in list(attributes.items()):
        if isinstance(value, str) and value:
            new = tr(value)
            if new != value:
                setattr(widget, name, new)
                changed = True
    if changed and isinstance(widget, QLabel):
        widget.setText(widget.text())  # shown again from the updated attribute


def _swap(getter: Callable[[], str], setter: Callable[[str], object], tr: Retranslator) -> None:
    text = getter()
    if text:
        new = tr(text)
        if new != text:
            setter(new)
