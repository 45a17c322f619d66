"""The providers table: one row per provider, sortable by real values, filtered by a search
text and by "needs attention"."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from bucket_desktop.i18n import N_, _, ngettext
from bucket_desktop.services.platform.models import ProviderHealth

HEADERS = (
    N_("Provider"),
    N_("State"),
    N_("M-PESA"),
    N_("Last callback"),
    N_("Today"),
    N_("30 days"),
    N_("Disputed"),
    N_("Not online"),
)
(
    COL_NAME,
    COL_STATE,
    COL_MPESA,
    COL_CALLBACK,
    COL_TODAY,
    COL_MONTH,
    COL_DISPUTED,
    COL_NOT_ONLINE,
) = range(len(HEADERS))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RED, AMBER, GREY, GREEN = "#b3261e", "#8a5a00", "#6b7280", "#1b7f3b"
AnyIndex = QModelIndex | QPersistentModelIndex


def state_text(provider: ProviderHealth) -> str:
    """Disabled, Needs attention or OK."""
    if provider.disabled:
        return _("Disabled")
    return _("Needs attention") if provider.needs_attention else _("OK")


def ago(iso: str | None, now: datetime | None = None) -> str:
    """'5 min ago', '3 h ago', '4 days ago', or 'Never'."""
    if not iso:
        return _("Never")
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    seconds = max(0.0, ((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        minutes = int(seconds // 60)
        return ngettext("{count} min ago", "{count} min ago", minutes).format(count=minutes)
    if seconds < 48 * 3600:
        hours = int(seconds // 3600)
        return ngettext("{count} h ago", "{count} h ago", hours).format(count=hours)
    days = int(seconds // 86400)
    return ngettext("{count} day ago", "{count} days ago", days).format(count=days)


def _mpesa(provider: ProviderHealth) -> str:
    if not provider.credentials_set:
        return _("Not set")
    verified = _("Verified") if provider.verified else _("Not verified")
    return f"{verified} · {provider.environment or '?'}"


class ProvidersModel(QAbstractTableModel):
    """The providers as rows; `set_rows` replaces them all (the list is refreshed whole)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ProviderHealth] = []

    def set_rows(self, rows: list[ProviderHealth]) -> None:
        """Show these providers."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        """Number of providers."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Number of columns."""
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(HEADERS[section])
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Text, sort keys, colours and tooltips of one cell."""
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        provider, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(provider, column)
        if role == SORT_ROLE:
            return self._key(provider, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(provider, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_STATE:
            return provider.attention_text() or _("Nothing needs attention.")
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= COL_TODAY:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(provider: ProviderHealth, column: int) -> str:
        texts = {
            COL_NAME: f"{provider.name}  #{provider.id}",
            COL_STATE: state_text(provider),
            COL_MPESA: _mpesa(provider),
            COL_CALLBACK: ago(provider.last_callback_at),
            COL_TODAY: _("{count} · KES {amount}").format(
                count=provider.payments_today, amount=f"{provider.paid_today:,}"
            ),
            COL_MONTH: _("KES {amount} ({count})").format(
                amount=f"{provider.paid_30d:,}", count=provider.payments_30d
            ),
            COL_DISPUTED: str(provider.disputed) if provider.disputed else "—",
            COL_NOT_ONLINE: str(provider.not_online) if provider.not_online else "—",
        }
        return texts[column]

    @staticmethod
    def _key(provider: ProviderHealth, column: int) -> object:
        keys: dict[int, object] = {
            COL_NAME: provider.name.casefold(),
            # Disabled first, then those needing attention (most reasons first), then OK.
            COL_STATE: (0 if provider.disabled else 1, -len(provider.attention)),
            COL_MPESA: (provider.credentials_set, provider.verified),
            COL_CALLBACK: provider.last_callback_at or "",
            COL_TODAY: provider.paid_today,
            COL_MONTH: provider.paid_30d,
            COL_DISPUTED: provider.disputed,
            COL_NOT_ONLINE: provider.not_online,
        }
        return keys[column]

    @staticmethod
    def _colour(provider: ProviderHealth, column: int) -> QBrush | None:
        colour = None
        if column == COL_STATE:
            colour = GREY if provider.disabled else AMBER if provider.needs_attention else GREEN
        elif {COL_DISPUTED: provider.disputed, COL_NOT_ONLINE: provider.not_online}.get(column):
            colour = RED
        elif column == COL_MPESA and not provider.verified:
            colour = AMBER
        return QBrush(QColor(colour)) if colour else None


class ProvidersFilter(QSortFilterProxyModel):
    """Search by name or number, "needs attention" only, and sorting by the real values."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._search = ""
        self._attention_only = False
        self.setSortRole(SORT_ROLE)

    def set_search(self, text: str) -> None:
        """Show only providers whose name or number contains `text`."""
        self.beginFilterChange()
        self._search = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_attention_only(self, on: bool) -> None:
        """Show only providers that need attention."""
        self.beginFilterChange()
        self._attention_only = on
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        """Whether a provider passes the search and the attention filter."""
        model = self.sourceModel()
        if not isinstance(model, ProvidersModel) or source_row >= len(model.rows):
            return False
        provider = model.rows[source_row]
        if self._attention_only and not provider.needs_attention:
            return False
        if not self._search:
            return True
        return self._search in provider.name.casefold() or self._search == str(provider.id)

    def lessThan(self, left: AnyIndex, right: AnyIndex) -> bool:
        """Compare the sort keys (tuples and numbers, not the display texts)."""
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)
