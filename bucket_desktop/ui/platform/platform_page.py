"""Platform page controller: every provider's health for a platform administrator, a provider's
tokens and recent changes, and creating, disabling, enabling and issuing or revoking tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from qasync import asyncSlot

from bucket_desktop.i18n import _, ngettext
from bucket_desktop.services.platform.admin_client import PlatformClient
from bucket_desktop.services.platform.models import AuditEntry, ProviderHealth, ProviderToken
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.dialog_helpers import Confirm, confirmed
from bucket_desktop.ui.common.newest_answer import NewestAnswer
from bucket_desktop.ui.common.widgets import StatusKind, busy
from bucket_desktop.ui.platform.dialogs import (
    TokenRequest,
    ask_provider_name,
    ask_token,
    show_tokens,
)
from bucket_desktop.ui.platform.platform_page_view import PlatformPageView
from bucket_desktop.ui.platform.provider_detail import (
    audit_rows,
    facts_text,
    fill,
    role_word,
    title_text,
    token_rows,
)
from bucket_desktop.ui.platform.providers_model import (
    COL_STATE,
    ProvidersFilter,
    ProvidersModel,
)
from bucket_desktop.ui.shell.main_window import RelaySession

AskName = Callable[[], Awaitable[str | None]]
AskToken = Callable[[str], Awaitable[TokenRequest | None]]  # the provider's name
ShowTokens = Callable[[str, str], Awaitable[None]]  # title, sign-in text


class PlatformPage:
    """Wires the Platform page to the relay's admin routes (admin tokens only)."""

    def __init__(
        self,
        view: PlatformPageView,
        *,
        confirm: Confirm,
        ask_name: AskName | None = None,
        ask_token_for: AskToken | None = None,
        show_new_tokens: ShowTokens | None = None,
    ) -> None:
        self.view = view
        self._confirm = confirm
        self._ask_name = ask_name or (lambda: ask_provider_name(view))
        self._ask_token = ask_token_for or (lambda name: ask_token(view, name))
        self._show_tokens = show_new_tokens or (lambda t, text: show_tokens(view, t, text))
        self._client: PlatformClient | None = None
        self._relay_url = ""
        self.model = ProvidersModel(view)
        self.filter = ProvidersFilter(view)
        self.filter.setSourceModel(self.model)
        view.table.setModel(self.filter)
        view.table.sortByColumn(COL_STATE, Qt.SortOrder.AscendingOrder)
        self.chosen: ProviderHealth | None = None
        self.tokens: list[ProviderToken] = []
        self._tasks = TaskSet()
        self._fetches = NewestAnswer()
        self._detail_fetches = NewestAnswer()
        self._closing = False
        view.search.textChanged.connect(self._filter_changed)
        view.attention_only.toggled.connect(self._filter_changed)
        view.refresh_button.clicked.connect(self.refresh_now)
        view.new_button.clicked.connect(self.create_provider)
        view.disable_button.clicked.connect(self.toggle_disabled)
        view.issue_button.clicked.connect(self.issue_token)
        view.revoke_button.clicked.connect(self.revoke_token)
        view.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.set_session(None)

    def set_session(self, session: RelaySession | None) -> None:
        """Main window hook: an administrator's session, or None."""
        self._client = PlatformClient(session.client) if session is not None else None
        self._relay_url = session.client.base_url if session is not None else ""
        for button in (self.view.new_button, self.view.refresh_button):
            button.setEnabled(session is not None)
        if session is None:
            self._fetches.drop_pending()  # what was asked before sign-out is not shown
            self._detail_fetches.drop_pending()
            self.model.set_rows([])
            self._show_detail(None)
            return
        self._start(self.refresh())

    async def close(self) -> None:
        """Stop fetches in flight (the window is closing)."""
        self._closing = True
        await self._tasks.cancel_all()

    async def refresh(self) -> None:
        """Fetch every provider's health and show it, keeping the chosen provider."""
        if self._client is None:
            return
        try:
            providers = await self._fetches.take(self._client.providers())
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        if providers is None:
            return  # a refresh started later shows the providers
        chosen = self.chosen.id if self.chosen else None
        self.model.set_rows(providers)
        self.view.table.fit_columns()
        self._summarise()
        if chosen is not None:
            self.choose(chosen)

    def choose(self, provider_id: int) -> None:
        """Select the provider with this id (if the filter shows it)."""
        for row in range(self.filter.rowCount()):
            source = self.filter.mapToSource(self.filter.index(row, 0))
            if self.model.rows[source.row()].id == provider_id:
                self.view.table.selectRow(row)
                return

    def visible(self) -> list[ProviderHealth]:
        """The providers in the table as shown (filtered and sorted)."""
        return [
            self.model.rows[self.filter.mapToSource(self.filter.index(row, 0)).row()]
            for row in range(self.filter.rowCount())
        ]

    @asyncSlot()
    async def refresh_now(self) -> None:
        """The Refresh button."""
        self.view.status.show_status("")
        with busy(self.view.refresh_button):
            await self.refresh()

    @asyncSlot()
    async def create_provider(self) -> None:
        """Name a new provider, create it, and show its two tokens once."""
        client = self._client
        if client is None:
            return
        name = await self._ask_name()
        if not name:
            return
        try:
            made = await client.create_provider(name)
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        await self.refresh()
        self.choose(made.provider_id)
        self.view.status.show_status(_("“{name}” created.").format(name=name), StatusKind.OK)
        text = _(
            "Relay address: {relay_url}\n"
            "Owner token: {owner_token}\n"
            "Attendant token: {attendant_token}"
        ).format(
            relay_url=self._relay_url,
            owner_token=made.owner_token,
            attendant_token=made.attendant_token,
        )
        await self._show_tokens(_("{name}: sign-in details").format(name=name), text)

    @asyncSlot()
    async def toggle_disabled(self) -> None:
        """After a confirmation, switch the chosen provider's payments off or on."""
        client, chosen = self._client, self.chosen
        if client is None or chosen is None:
            return
        if chosen.disabled:
            title, question = (
                _("Enable provider"),
                (
                    _(
                        "Let “{name}” take M-PESA payments again? Its desks can send prompts at "
                        "once."
                    ).format(name=chosen.name)
                ),
            )
        else:
            title, question = (
                _("Disable provider"),
                (
                    _(
                        "Switch off “{name}”? Its desks can no longer send payment prompts and "
                        "are told the platform administrator switched them off. Payments already "
                        "prompted still complete, and nothing is deleted; you can enable it "
                        "again."
                    ).format(name=chosen.name)
                ),
            )
        if not await confirmed(self._confirm, title, question):
            return
        try:
            await client.set_disabled(chosen.id, not chosen.disabled)
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        done = _("“{name}” is enabled.") if chosen.disabled else _("“{name}” is disabled.")
        await self.refresh()
        self.view.status.show_status(done.format(name=chosen.name), StatusKind.OK)

    @asyncSlot()
    async def issue_token(self) -> None:
        """Ask for a role and a name, issue the token, and show it once."""
        client, chosen = self._client, self.chosen
        if client is None or chosen is None:
            return
        wanted = await self._ask_token(chosen.name)
        if wanted is None:
            return
        try:
            issued = await client.issue_token(chosen.id, wanted.role, wanted.name)
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        await self._load_detail(chosen)
        owner = issued.role == "owner"
        issued_text = _("Owner token “{name}” issued.") if owner else _("Token “{name}” issued.")
        self.view.status.show_status(issued_text.format(name=issued.name), StatusKind.OK)
        text = _("Relay address: {relay_url}\nToken: {token}").format(
            relay_url=self._relay_url, token=issued.token
        )
        title = _("{name}: new owner token") if owner else _("{name}: new attendant token")
        await self._show_tokens(title.format(name=chosen.name), text)

    @asyncSlot()
    async def revoke_token(self) -> None:
        """After a confirmation, revoke the token chosen in the Tokens tab."""
        client, chosen = self._client, self.chosen
        rows = self.view.tokens.selectionModel().selectedRows()
        if client is None or chosen is None:
            return
        if not rows or not 0 <= rows[0].row() < len(self.tokens):
            self.view.tabs.setCurrentWidget(self.view.tokens)
            self.view.status.show_status(
                _("Select a token in the Tokens tab first."), StatusKind.ERROR
            )
            return
        token = self.tokens[rows[0].row()]
        question = _(
            "Revoke “{token}” ({role}) of “{provider}”? The PC using it is signed out within a "
            "moment."
        ).format(token=token.name, role=role_word(token.role).lower(), provider=chosen.name)
        if not await confirmed(self._confirm, _("Revoke token"), question):
            return
        try:
            await client.revoke_token(token.token_id)
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        await self._load_detail(chosen)
        self.view.status.show_status(
            _("“{name}” was revoked.").format(name=token.name), StatusKind.OK
        )

    def _filter_changed(self, *_args: object) -> None:
        self.filter.set_search(self.view.search.text())
        self.filter.set_attention_only(self.view.attention_only.isChecked())
        self._summarise()

    def _summarise(self) -> None:
        rows = self.model.rows
        attention = sum(1 for row in rows if row.needs_attention)
        disabled = sum(1 for row in rows if row.disabled)
        shown = self.filter.rowCount()
        text = ngettext(
            "{count} provider · {attention} need attention · {disabled} disabled",
            "{count} providers · {attention} need attention · {disabled} disabled",
            len(rows),
        ).format(count=len(rows), attention=attention, disabled=disabled)
        self.view.summary.setText(
            text
            if shown == len(rows)
            else _("{shown} shown of {text}").format(shown=shown, text=text)
        )

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # Guarded: Qt also reports a change while it destroys the table at exit.
        if self._closing or not current.isValid():
            return
        row = self.filter.mapToSource(current).row()
        if 0 <= row < len(self.model.rows):
            provider = self.model.rows[row]
            if self.chosen is None or provider.id != self.chosen.id or provider != self.chosen:
                self._show_detail(provider)
                self._start(self._load_detail(provider))

    def _show_detail(self, provider: ProviderHealth | None) -> None:
        self.chosen = provider
        view = self.view
        for button in (view.disable_button, view.issue_button, view.revoke_button):
            button.setEnabled(provider is not None)
        view.detail_title.setText(title_text(provider))
        view.detail_facts.setText(facts_text(provider) if provider else "")
        view.disable_button.setText(
            _("Enable…") if provider and provider.disabled else _("Disable…")
        )
        if provider is None:
            fill(view.tokens, [])
            fill(view.audit, [])

    async def _load_detail(self, provider: ProviderHealth) -> None:
        if self._client is None:
            return
        try:
            detail = await self._detail_fetches.take(self._detail(self._client, provider.id))
        except RelayError as error:
            self.view.status.show_status(str(error), StatusKind.ERROR)
            return
        if detail is None:
            return  # another provider was chosen meanwhile, or this one's detail asked again
        tokens, entries = detail
        self.tokens = tokens
        fill(self.view.tokens, token_rows(tokens))
        fill(self.view.audit, audit_rows(entries))

    @staticmethod
    async def _detail(
        client: PlatformClient, provider_id: int
    ) -> tuple[list[ProviderToken], list[AuditEntry]]:
        """A provider's tokens and its recent changes, asked as one fetch."""
        tokens = await client.tokens(provider_id)
        return tokens, await client.audit(provider_id=provider_id, limit=50)

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        self._tasks.start(work)
