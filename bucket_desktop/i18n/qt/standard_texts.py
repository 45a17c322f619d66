"""Qt's own texts (dialog buttons, the line edit's menu) in our catalog.

Qt ships no Swahili translation of its own texts (PySide6 has no qtbase_sw.qm), so a
translator object answers Qt's requests from our catalog: QMessageBox and QDialogButtonBox
standard buttons ("OK", "&Yes", "Cancel"), and the right-click menu of text fields.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTranslator

from bucket_desktop.i18n import N_, _

# Qt's source texts, with their & mnemonics, as QPlatformTheme, QDialogButtonBox, QMessageBox
# and the text widgets ask for them.
QT_TEXTS = frozenset(
    {
        N_("OK"), N_("&OK"), N_("Save"), N_("&Save"), N_("Save All"), N_("Open"), N_("&Yes"),
        N_("Yes to &All"), N_("&No"), N_("N&o to All"), N_("Abort"), N_("Retry"),
        N_("Ignore"), N_("Close"), N_("&Close"), N_("Cancel"), N_("&Cancel"), N_("Discard"),
        N_("Close without Saving"), N_("Help"), N_("Apply"), N_("Reset"),
        N_("Restore Defaults"), N_("Show Details..."), N_("Hide Details..."),
        N_("&Undo"), N_("&Redo"), N_("Cu&t"), N_("&Copy"), N_("&Paste"), N_("Delete"),
        N_("Select All"), N_("Copy &Link Location"),
    }
)  # fmt: skip
QT_CONTEXTS = frozenset(
    {"QPlatformTheme", "QGnomeTheme", "QDialogButtonBox", "QMessageBox", "QLineEdit",
     "QWidgetTextControl", "QTextControl"}
)  # fmt: skip


class QtTexts(QTranslator):
    """Answers Qt's text requests from the app's catalog in the current language."""

    def translate(
        self,
        context: str,
        source_text: str,
        disambiguation: str | None = None,
        n: int = -1,
    ) -> str:
        """Our translation of one of Qt's standard texts; "" (= Qt's own) for the rest."""
        if context in QT_CONTEXTS and source_text in QT_TEXTS:
            return _(source_text)
        return ""

    def isEmpty(self) -> bool:
        """Never empty: the texts come from the catalog."""
        return False


def install_qt_texts(app: QCoreApplication, current: QtTexts | None) -> QtTexts:
    """Install (again) the translator: Qt then sends every widget a LanguageChange event, and
    open dialogs' button boxes take their new texts."""
    if current is not None:
        app.removeTranslator(current)
    translator = current or QtTexts(app)
    app.installTranslator(translator)
    return translator
