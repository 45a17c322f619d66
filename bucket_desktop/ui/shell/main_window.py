"""Main window controller: a registry of pages, the signed-in identity, remembered layout."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QObject, Qt, Signal
from PySide6.QtWidgets import QListWidgetItem, QWidget

from bucket_desktop.i18n import _, ngettext
from bucket_desktop.services.app_settings import AppSettings, SettingsFile
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_models import Identity
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.shell.main_window_view import MainWindowView

DEFAULT_SIZE = (1280, 740)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelaySession:
    """A signed-in connection to the relay."""

    client: RelayClient
    identity: Identity


@dataclass(slots=True)
class Page:
    """One entry of the sidebar. `on_session` hears every sign-in and sign-out."""

    key: str
    title: str  # marked with N_(), translated each time it is shown
    widget: QWidget
    owner_only: bool = False
    # Shown only to a platform administrator, who sees no other page (they act for no shop).
    admin_only: bool = False
    on_session: Callable[[RelaySession | None], None] | None = None


class MainWindow(QObject):
    """Wires the window: switching pages, showing who is signed in, messages, closing."""

    closed = Signal()
    change_relay_requested = Signal()

    def __init__(
        self, view: MainWindowView, settings: AppSettings, settings_file: SettingsFile
    ) -> None:
        super().__init__()
        self.view = view
        self._settings = settings
        self._settings_file = settings_file
        self._pages: list[Page] = []
        self.session: RelaySession | None = None
        # The page remembered from the last run, shown once this session may see it.
        self._wanted_page: str | None = None
        view.sidebar.currentRowChanged.connect(self._show_row)
        view.banner_close.clicked.connect(self.clear_message)
        view.alert_ack.clicked.connect(self.acknowledge_alerts)
        self._alerts: list[str] = []
        view.connection_button.clicked.connect(self.change_relay_requested)
        view.close_requested.connect(self._on_close_requested)

    @property
    def pages(self) -> list[Page]:
        """The registered pages, in sidebar order."""
        return list(self._pages)

    def add_page(self, page: Page) -> None:
        """Append a page to the sidebar and the page stack."""
        self._pages.append(page)
        self.view.pages.addWidget(page.widget)
        item = QListWidgetItem(_(page.title))
        item.setData(Qt.ItemDataRole.UserRole, page.key)
        self.view.sidebar.addItem(item)
        self._apply_visibility()

    def visible_keys(self) -> list[str]:
        """Keys of the pages this session may see."""
        return [page.key for page in self._pages if self._allowed(page)]

    def current_key(self) -> str | None:
        """Key of the page on screen."""
        row = self.view.sidebar.currentRow()
        return self._pages[row].key if 0 <= row < len(self._pages) else None

    def show_page(self, key: str) -> bool:
        """Switch to the page `key` if this session may see it."""
        for row, page in enumerate(self._pages):
            if page.key == key and self._allowed(page):
                self.view.sidebar.setCurrentRow(row)
                return True
        return False

    def set_session(self, session: RelaySession | None) -> None:
        """Sign in (or out): update the header, hide owner pages from attendants, tell pages."""
        self.session = session
        self._show_identity(session)
        self._apply_visibility()
        if self._wanted_page is not None and self.show_page(self._wanted_page):
            self._wanted_page = None
        for page in self._pages:
            if page.on_session is not None:
                page.on_session(session if self._allowed(page) else None)

    @property
    def starting(self) -> bool:
        """True while the window waits for its first sign-in (pages disabled)."""
        return self.view.progress.isVisibleTo(self.view)

    def set_starting(self, text: str) -> None:
        """Say what is starting, with a busy bar; pages stay disabled until `finish_starting`."""
        self.view.identity_label.setText(_("Starting…"))
        self.view.pages.setEnabled(False)
        self.view.connection_button.hide()
        self.view.progress.show()
        self.show_message(text, StatusKind.WORKING)
        self.view.banner_close.hide()

    def finish_starting(self) -> None:
        """The start is over (signed in, or failed with a message): pages work again."""
        self.view.pages.setEnabled(True)
        self.view.connection_button.show()
        self.view.progress.hide()
        if self.session is None and self.view.identity_label.text() == "Starting…":
            self.view.identity_label.setText(_("Not signed in"))

    def show_message(self, text: str, kind: StatusKind = StatusKind.ERROR) -> None:
        """Show a sentence in the banner above the pages."""
        self.view.banner.show_status(text, kind)
        self.view.banner_close.setVisible(bool(text))

    def clear_message(self) -> None:
        """Hide the banner."""
        self.show_message("", StatusKind.NEUTRAL)

    @property
    def alerts(self) -> list[str]:
        """Alerts shown and not yet acknowledged, oldest first."""
        return list(self._alerts)

    def show_alert(self, text: str) -> None:
        """A red alert above every page that stays until acknowledged (other messages pass)."""
        self._alerts.append(text)
        self.view.alert.show_status("\n".join(self._alerts[-3:]), StatusKind.ERROR)
        if len(self._alerts) > 3:
            earlier = len(self._alerts) - 3
            more = ngettext(
                "(and {count} earlier, see Payments)",
                "(and {count} earlier, see Payments)",
                earlier,
            ).format(count=earlier)
            self.view.alert.setText(f"{self.view.alert.text()}\n{more}")
        self.view.alert_ack.show()

    def acknowledge_alerts(self) -> None:
        """The person saw the alerts: hide them."""
        self._alerts.clear()
        self.view.alert.show_status("", StatusKind.NEUTRAL)
        self.view.alert_ack.hide()

    def restore_layout(self) -> None:
        """Size, position and page from the last run."""
        geometry = self._settings.window_geometry
        restored = False
        if geometry:
            try:
                raw = base64.b64decode(geometry, validate=True)
            except ValueError:
                raw = b""
            restored = bool(raw) and self.view.restoreGeometry(QByteArray(raw))
        if not restored:
            self.view.resize(*DEFAULT_SIZE)
        self._wanted_page = self._settings.last_page
        if self._wanted_page and self.show_page(self._wanted_page):
            self._wanted_page = None
        else:
            self._show_first_visible()

    def _show_identity(self, session: RelaySession | None) -> None:
        if session is None:
            self.view.identity_label.setText(_("Not signed in"))
            self.view.relay_label.setText("")
            return
        who = session.identity
        if who.is_admin:
            self.view.identity_label.setText(
                _("Platform administrator · {name}").format(name=who.name)
                if who.name
                else _("Platform administrator")
            )
            self.view.relay_label.setText(session.client.base_url)
            return
        role = _("Owner") if who.is_owner else _("Attendant")
        provider = who.provider_name or (
            _("provider {provider_id}").format(provider_id=who.provider_id)
            if who.provider_id
            else ""
        )
        self.view.identity_label.setText(f"{role} · {provider}" if provider else role)
        self.view.relay_label.setText(session.client.base_url)

    def _allowed(self, page: Page) -> bool:
        identity = self.session.identity if self.session is not None else None
        if identity is not None and identity.is_admin:
            return page.admin_only
        if page.admin_only:
            return False
        return not page.owner_only or (identity is not None and identity.is_owner)

    def _apply_visibility(self) -> None:
        for row, page in enumerate(self._pages):
            self.view.sidebar.setRowHidden(row, not self._allowed(page))
        key = self.current_key()
        if key is None or key not in self.visible_keys():
            # Come back to a page hidden by a role change when the role allows it again.
            self._wanted_page = self._wanted_page or key
            self._show_first_visible()

    def _show_first_visible(self) -> None:
        visible = self.visible_keys()
        if visible:
            wanted = self._wanted_page
            self.show_page(visible[0])
            self._wanted_page = wanted  # an automatic switch is not the person's choice

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(self._pages):
            return
        page = self._pages[row]
        if not self._allowed(page):
            self._show_first_visible()
            return
        self.view.pages.setCurrentWidget(page.widget)
        self.view.title_label.setText(_(page.title))
        self._wanted_page = None

    def _on_close_requested(self) -> None:
        geometry = bytes(self.view.saveGeometry().data())
        self._settings.window_geometry = base64.b64encode(geometry).decode("ascii")
        self._settings.last_page = self._wanted_page or self.current_key()
        try:
            self._settings_file.save(self._settings)
        except OSError as error:
            log.warning("Window layout not saved: %s", error)
        self.closed.emit()
