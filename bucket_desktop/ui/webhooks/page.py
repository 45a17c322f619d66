"""Webhooks page controller: the owner adds, edits, disables, deletes and tests endpoints,
rotates secrets, and reads each endpoint's delivery log with Redeliver."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtWidgets import QTableWidget
from qasync import asyncSlot

from bucket_desktop.i18n import _
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.services.webhooks.api import WebhookApi
from bucket_desktop.services.webhooks.models import (
    EVENT_SHORT,
    DeliveryEntry,
    NewSecret,
    WebhookEndpoint,
)
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.dialog_helpers import Confirm, confirmed
from bucket_desktop.ui.common.newest_answer import NewestAnswer
from bucket_desktop.ui.common.widgets import StatusKind, busy
from bucket_desktop.ui.shell.main_window import RelaySession
from bucket_desktop.ui.webhooks import tables
from bucket_desktop.ui.webhooks.dialogs import EndpointForm, ask_endpoint, show_secret
from bucket_desktop.ui.webhooks.page_view import WebhooksPageView

AskEndpoint = Callable[[str, WebhookEndpoint | None], Awaitable[EndpointForm | None]]
ShowSecret = Callable[[NewSecret], Awaitable[None]]
FOLLOW_S = 0.5  # how often the log is read again after a test or a redelivery
FOLLOW_FOR = 20


class WebhooksPage:
    """Wires the Webhooks page to the relay's webhook routes (owner only)."""

    def __init__(
        self,
        view: WebhooksPageView,
        *,
        confirm: Confirm,
        ask: AskEndpoint | None = None,
        show: ShowSecret | None = None,
    ) -> None:
        self.view = view
        self._confirm = confirm
        self._ask = ask or (lambda title, current: ask_endpoint(view, title, current))
        self._show_secret = show or (lambda made: show_secret(view, made))
        self._api: WebhookApi | None = None
        self.endpoints: list[WebhookEndpoint] = []
        self.entries: list[DeliveryEntry] = []
        self._shown_id: int | None = None
        self._tasks = TaskSet()
        self._fetches = NewestAnswer()
        self._log_fetches = NewestAnswer()
        view.refresh_button.clicked.connect(self.refresh_now)
        view.add_button.clicked.connect(self.add)
        view.edit_button.clicked.connect(self.edit)
        view.toggle_button.clicked.connect(self.toggle)
        view.delete_button.clicked.connect(self.delete)
        view.rotate_button.clicked.connect(self.rotate)
        view.test_button.clicked.connect(self.send_test)
        view.redeliver_button.clicked.connect(self.redeliver)
        # A click chooses the endpoint whose log is shown (not a selection-changed slot, which
        # Qt also fires while destroying the table at exit).
        view.endpoints.clicked.connect(lambda _index: self._spawn(self.refresh_log()))
        self.set_session(None)

    def set_session(self, session: RelaySession | None) -> None:
        """Main window hook: the owner's session, or None."""
        self._api = WebhookApi(session.client) if session is not None else None
        for button in (
            self.view.add_button,
            self.view.refresh_button,
            self.view.edit_button,
            self.view.toggle_button,
            self.view.delete_button,
            self.view.rotate_button,
            self.view.test_button,
            self.view.redeliver_button,
        ):
            button.setEnabled(session is not None)
        if session is None:
            self._fetches.drop_pending()  # what was asked before sign-out is not shown
            self._log_fetches.drop_pending()
            self._show([])
            self._show_log(None, [])
            return
        self._spawn(self.refresh())

    async def close(self) -> None:
        """Stop fetches in flight (the window is closing)."""
        await self._tasks.cancel_all()

    async def refresh(self) -> None:
        """Fetch the endpoints, then the chosen endpoint's log."""
        if self._api is None:
            return
        try:
            endpoints = await self._fetches.take(self._api.endpoints())
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        if endpoints is None:
            return  # a refresh started later shows the endpoints and their log
        self._show(endpoints)
        await self.refresh_log()

    async def refresh_log(self) -> None:
        """Fetch the delivery log of the selected endpoint (the first one when none is)."""
        endpoint = self.selected() or (self.endpoints[0] if self.endpoints else None)
        if self._api is None or endpoint is None:
            self._log_fetches.drop_pending()
            self._show_log(None, [])
            return
        try:
            entries = await self._log_fetches.take(self._api.log(endpoint.id))
        except RelayError as error:
            self.view.endpoint_state.show_status(str(error), StatusKind.ERROR)
            return
        if entries is not None:  # else the log of an endpoint chosen before
            self._show_log(endpoint, entries)

    @asyncSlot()
    async def refresh_now(self) -> None:
        """The Refresh button."""
        self.view.status.show_status("")
        await self.refresh()

    @asyncSlot()
    async def add(self) -> None:
        """Ask for an address and events, add the endpoint, and show its secret once."""
        api = self._api
        if api is None:
            return
        form = await self._ask(_("Add a webhook endpoint"), None)
        if form is None:
            return
        with busy(self.view.add_button):
            made = await self._call(api.add(form.url, form.events, form.description))
        if made is None:
            return
        await self.refresh()
        self.select(made.endpoint.id)
        await self.refresh_log()
        self.view.status.show_status(_("{url} added.").format(url=made.endpoint.url), StatusKind.OK)
        await self._show_secret(made)

    @asyncSlot()
    async def edit(self) -> None:
        """Change the selected endpoint's address, description or events."""
        api, endpoint = self._api, self._chosen()
        if api is None or endpoint is None:
            return
        form = await self._ask(_("Edit webhook endpoint"), endpoint)
        if form is None:
            return
        changes = {"url": form.url, "description": form.description, "events": list(form.events)}
        if await self._call(api.change(endpoint.id, **changes)) is None:
            return
        await self.refresh()
        self.view.status.show_status(_("Endpoint saved."), StatusKind.OK)

    @asyncSlot()
    async def toggle(self) -> None:
        """Disable the selected endpoint (after a question), or enable it again."""
        api, endpoint = self._api, self._chosen()
        if api is None or endpoint is None:
            return
        if endpoint.enabled and not await confirmed(
            self._confirm,
            _("Disable endpoint"),
            _(
                "Stop calling {url}? Events that happen while it is off are not sent to "
                "it later; calls already queued wait until you enable it again."
            ).format(url=endpoint.url),
        ):
            return
        if await self._call(api.change(endpoint.id, enabled=not endpoint.enabled)) is None:
            return
        await self.refresh()
        word = "enabled" if not endpoint.enabled else "disabled"
        self.view.status.show_status(f"{endpoint.url} {word}.", StatusKind.OK)

    @asyncSlot()
    async def delete(self) -> None:
        """After a confirmation, delete the selected endpoint with its log."""
        api, endpoint = self._api, self._chosen()
        if api is None or endpoint is None:
            return
        question = _(
            "Delete {url}? Calls not yet delivered are dropped and its delivery log "
            "is deleted. To pause it instead, use Disable."
        ).format(url=endpoint.url)
        if not await confirmed(self._confirm, _("Delete endpoint"), question):
            return
        if await self._call(api.delete(endpoint.id), done=True) is None:
            return
        await self.refresh()
        self.view.status.show_status(_("{url} deleted.").format(url=endpoint.url), StatusKind.OK)

    @asyncSlot()
    async def rotate(self) -> None:
        """After a confirmation, make a new secret and show it once."""
        api, endpoint = self._api, self._chosen()
        if api is None or endpoint is None:
            return
        question = _(
            "Make a new secret for {url}? For the next 24 hours calls are signed "
            "with both the old and the new secret; after that only the new one works."
        ).format(url=endpoint.url)
        if not await confirmed(self._confirm, _("Rotate secret"), question):
            return
        made = await self._call(api.rotate(endpoint))
        if made is None:
            return
        await self.refresh()
        self.view.status.show_status(_("New secret made."), StatusKind.OK)
        await self._show_secret(made)

    @asyncSlot()
    async def send_test(self) -> None:
        """Queue a signed test event and follow it in the log."""
        api, endpoint = self._api, self._chosen()
        if api is None or endpoint is None:
            return
        event_id = await self._call(api.send_test(endpoint.id))
        if event_id is None:
            return
        self.view.status.show_status(
            _("Test event sent: its delivery shows in the log below."), StatusKind.OK
        )
        self._spawn(self._follow(endpoint.id))

    @asyncSlot()
    async def redeliver(self) -> None:
        """Send the selected delivery again, with the same webhook-id."""
        api, entry = self._api, self.selected_entry()
        if api is None or self._shown_id is None:
            return
        if entry is None:
            self.view.endpoint_state.show_status(
                _("Select a delivery in the log first."), StatusKind.ERROR
            )
            return
        if await self._call(api.redeliver(entry.delivery_id), done=True) is None:
            return
        self.view.status.show_status(
            _("Event “{event}” queued again.").format(
                event=_(EVENT_SHORT.get(entry.event, entry.event))
            ),
            StatusKind.OK,
        )
        self._spawn(self._follow(self._shown_id))

    def selected(self) -> WebhookEndpoint | None:
        """The endpoint selected in the list, if any."""
        return _pick(self.view.endpoints, self.endpoints)

    def selected_entry(self) -> DeliveryEntry | None:
        """The delivery selected in the log, if any."""
        return _pick(self.view.log, self.entries)

    def select(self, endpoint_id: int) -> None:
        """Select the endpoint with this id (after adding, and for tests)."""
        for row, endpoint in enumerate(self.endpoints):
            if endpoint.id == endpoint_id:
                self.view.endpoints.selectRow(row)

    async def _follow(self, endpoint_id: int) -> None:
        # The relay sends within a moment; read the log a few times so the owner sees it land.
        for _round in range(FOLLOW_FOR):
            await asyncio.sleep(FOLLOW_S)
            if self._shown_id != endpoint_id:
                return
            await self.refresh()
            if self.entries and self.entries[0].state not in ("pending", "leased"):
                return

    async def _call(self, work: Coroutine[Any, Any, Any], *, done: bool = False) -> Any:
        """Await a relay call; None (and the error shown) when it is refused."""
        try:
            result = await work
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return None
        return True if done else result

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self._tasks.start(work)

    def _chosen(self) -> WebhookEndpoint | None:
        endpoint = self.selected()
        if endpoint is None:
            self.view.status.show_status(
                _("Select an endpoint in the list first."), StatusKind.ERROR
            )
        return endpoint

    def _show(self, endpoints: list[WebhookEndpoint]) -> None:
        chosen = self.selected()
        self.endpoints = endpoints
        tables.fill_endpoints(self.view, endpoints)
        if chosen is not None:
            self.select(chosen.id)
        elif endpoints:
            self.view.endpoints.selectRow(0)
        current = self.selected()
        self.view.toggle_button.setText(
            _("Enable") if current and not current.enabled else _("Disable")
        )

    def _show_log(self, endpoint: WebhookEndpoint | None, entries: list[DeliveryEntry]) -> None:
        self._shown_id = endpoint.id if endpoint else None
        self.entries = entries
        tables.fill_log(self.view, endpoint, entries)


def _pick(table: QTableWidget, items: list[Any]) -> Any:
    rows = table.selectionModel().selectedRows()
    if not rows or not 0 <= rows[0].row() < len(items):
        return None
    return items[rows[0].row()]
