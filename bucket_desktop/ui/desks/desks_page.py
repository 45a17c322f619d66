"""Desks page controller: the owner lists, adds, renames and revokes the shop's desks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem
from qasync import asyncSlot

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.services.relay_models import Desk, NewDesk
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.dialog_helpers import Confirm, confirmed
from bucket_desktop.ui.common.newest_answer import NewestAnswer
from bucket_desktop.ui.common.widgets import StatusKind, busy
from bucket_desktop.ui.desks.desk_dialogs import ask_desk_name, show_desk_token
from bucket_desktop.ui.desks.desks_page_view import COL_NAME, DesksPageView
from bucket_desktop.ui.settings.relay_texts import friendly_time
from bucket_desktop.ui.shell.main_window import RelaySession

AskName = Callable[[str, str], Awaitable[str | None]]  # title, current name
ShowToken = Callable[[NewDesk, str], Awaitable[None]]  # the new desk, the relay address
ROLE_WORDS = {"owner": N_("Owner"), "attendant": N_("Attendant")}


class DesksPage:
    """Wires the Desks page to the relay's desk routes (owner only)."""

    def __init__(
        self,
        view: DesksPageView,
        *,
        confirm: Confirm,
        ask_name: AskName | None = None,
        show_token: ShowToken | None = None,
    ) -> None:
        self.view = view
        self._confirm = confirm
        self._ask_name = ask_name or (lambda title, current: ask_desk_name(view, title, current))
        self._show_token = show_token or (lambda made, url: show_desk_token(view, made, url))
        self._session: RelaySession | None = None
        self.desks: list[Desk] = []
        self._tasks = TaskSet()
        self._fetches = NewestAnswer()
        view.refresh_button.clicked.connect(self.refresh_now)
        view.add_button.clicked.connect(self.add)
        view.rename_button.clicked.connect(self.rename)
        view.revoke_button.clicked.connect(self.revoke)
        # Buttons check the selection when clicked: a selection-changed slot would also run
        # while Qt destroys the table at exit, touching a half-deleted widget.
        self.set_session(None)

    def set_session(self, session: RelaySession | None) -> None:
        """Main window hook: the owner's session, or None."""
        self._session = session
        for button in (
            self.view.add_button,
            self.view.refresh_button,
            self.view.rename_button,
            self.view.revoke_button,
        ):
            button.setEnabled(session is not None)
        if session is None:
            self._fetches.drop_pending()  # the list asked before sign-out is not shown
            self._show([])
            return
        self._tasks.start(self.refresh())

    async def close(self) -> None:
        """Stop a fetch in flight (the window is closing)."""
        await self._tasks.cancel_all()

    async def refresh(self) -> None:
        """Fetch the desks from the relay and show them."""
        if self._session is None:
            return
        try:
            desks = await self._fetches.take(self._session.client.desks())
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        if desks is not None:
            self._show(desks)

    @asyncSlot()
    async def refresh_now(self) -> None:
        """The Refresh button."""
        self.view.status.show_status("")
        await self.refresh()

    @asyncSlot()
    async def add(self) -> None:
        """Name a new attendant desk, create it, and show its token once."""
        session = self._session
        if session is None:
            return
        name = await self._ask_name(_("Add an attendant desk"), "")
        if not name:
            return
        with busy(self.view.add_button):
            try:
                created = await session.client.add_desk(name)
            except RelayError as error:
                self.view.status.show_status(str(error), StatusKind.ERROR)
                return
            await self.refresh()
        self.view.status.show_status(
            _("Desk “{name}” added.").format(name=created.desk.name), StatusKind.OK
        )
        await self._show_token(created, session.client.base_url)

    @asyncSlot()
    async def rename(self) -> None:
        """Give the selected desk another name."""
        session, desk = self._session, self._chosen()
        if session is None or desk is None:
            return
        name = await self._ask_name(_("Rename desk"), desk.name)
        if not name or name == desk.name:
            return
        try:
            await session.client.rename_desk(desk.token_id, name)
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        await self.refresh()
        self.view.status.show_status(
            _("“{old}” is now “{new}”.").format(old=desk.name, new=name), StatusKind.OK
        )

    @asyncSlot()
    async def revoke(self) -> None:
        """After a confirmation, revoke the selected desk at once."""
        session, desk = self._session, self._chosen()
        if session is None or desk is None:
            return
        if desk.this_desk:
            self.view.status.show_status(
                _(
                    "This PC is signed in with that token, so it cannot revoke it. Revoke it from "
                    "another owner's PC, or ask your relay operator."
                ),
                StatusKind.ERROR,
            )
            return
        question = _(
            "Revoke “{name}”? That PC is signed out within a moment and can no "
            "longer charge customers or see payments. To use it again, add a new "
            "desk for it."
        ).format(name=desk.name)
        if not await confirmed(self._confirm, _("Revoke desk"), question):
            return
        try:
            await session.client.revoke_desk(desk.token_id)
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        await self.refresh()
        self.view.status.show_status(
            _("“{name}” was revoked.").format(name=desk.name), StatusKind.OK
        )

    def selected(self) -> Desk | None:
        """The desk selected in the table, if any."""
        rows = self.view.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.desks):
            return None
        return self.desks[rows[0].row()]

    def _chosen(self) -> Desk | None:
        desk = self.selected()
        if desk is None:
            self.view.status.show_status(_("Select a desk in the list first."), StatusKind.ERROR)
        return desk

    def select(self, name: str) -> None:
        """Select the desk with this name (keyboard users and tests)."""
        for row, desk in enumerate(self.desks):
            if desk.name == name:
                self.view.table.selectRow(row)

    def _show(self, desks: list[Desk]) -> None:
        self.desks = desks
        table = self.view.table
        table.clearSelection()
        table.setRowCount(len(desks))
        for row, desk in enumerate(desks):
            name = _("{name} (this PC)").format(name=desk.name) if desk.this_desk else desk.name
            cells = (
                name,
                _(ROLE_WORDS[desk.role]) if desk.role in ROLE_WORDS else desk.role,
                friendly_time(desk.created_at) if desk.created_at else "—",
                friendly_time(desk.last_used_at) if desk.last_used_at else _("Never"),
                desk.last_address or "—",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                table.setItem(row, column, item)
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(False)
        table.setColumnWidth(COL_NAME, max(table.columnWidth(COL_NAME), 200))
