"""Keeps the counter's plan tiles in step with the relay's plans, and offers the old file once.

Every feed page carries `plans_version`; when it changes (another desk's owner edited the plans)
the plans are fetched again, so no desk charges an old price. Without plans on the relay the desk
keeps its local presets (charged without a plan, as before).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from bucket_desktop.i18n import _, ngettext
from bucket_desktop.services.plans import Plan
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.services.shared_plans.local_import import ImportOffer, LocalPlansImport
from bucket_desktop.services.shared_plans.relay_plans import fetch_plans, save_plans
from bucket_desktop.ui.charge.charge_page import ChargePage, Confirm
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.live_payments import LivePayments
from bucket_desktop.ui.common.newest_answer import NewestAnswer
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.shared_plans.plans_editor import SharedPlansEditor, editor_view


class SharedPlansSync(QObject):
    """Shows the relay's plans on the Charge page and opens the owner's editor for them."""

    refreshed = Signal()  # the tiles now show what the relay has

    def __init__(
        self,
        charge: ChargePage,
        live: LivePayments,
        *,
        local_plans: Sequence[Plan],
        confirm: Confirm,
        local_import: LocalPlansImport | None = None,
    ) -> None:
        super().__init__(charge)
        self._charge = charge
        self._live = live
        self._local = tuple(local_plans)
        self._confirm = confirm
        self._import = local_import
        self._owner = False
        self._tasks = TaskSet()
        self._fetches = NewestAnswer()
        self.shared: tuple[Plan, ...] = ()
        self._kept: dict[int, dict[str, Any]] = {}
        self.editor: SharedPlansEditor | None = None
        live.plans_version_changed.connect(lambda _version: self.refresh())

    def on_session(self, client: RelayClient | None, *, owner: bool) -> None:
        """A new sign-in (or sign-out): read the relay's plans for this provider."""
        self._owner = owner
        self.shared = ()
        if client is None:
            self._fetches.drop_pending()  # the plans asked before sign-out do not come back
            self._use(())
            return
        self.refresh(client)

    def refresh(self, client: RelayClient | None = None) -> None:
        """Fetch the relay's plans again (after a plans_version change)."""
        client = client or self._live.client
        if client is not None:
            self._tasks.start(self._refresh(client))

    async def _refresh(self, client: RelayClient) -> None:
        try:
            shared = await self._fetches.take(fetch_plans(client))
        except RelayError:
            return  # the feed shows the connection problem; the tiles stay as they are
        if shared is None:
            return  # a fetch started later holds the newer plans
        self._kept = shared.kept
        self._use(shared.plans)
        if self._owner and self._import is not None:
            offer = self._import.offer()
            if offer is not None and shared.plans:
                self._import.mark_offered()  # another desk put plans there already
            elif offer is not None and offer.plans:
                # Asked outside the task: a modal dialog must not run inside one (ChargePage).
                QTimer.singleShot(0, lambda: self._offer(client, offer))

    def _use(self, plans: tuple[Plan, ...]) -> None:
        self.shared = plans
        self._charge.plans_editor = self.edit if plans or self._owner else None
        self._charge.set_can_edit_plans(self._owner)
        self._charge.show_plans(plans or self._local)
        self.refreshed.emit()

    def _offer(self, client: RelayClient, offer: ImportOffer) -> None:
        if self._import is None or self._import.offer() is None:
            return
        names = ", ".join(plan.name for plan in offer.plans)
        question = _(
            "This PC has its own plans ({names}). Copy them to the relay, so every "
            "desk of the shop charges the same prices? You are asked only once."
        ).format(names=names)
        # A separate sentence, added only when some plans are left out.
        if offer.without_duration:
            question += " " + _("Left out, because their names give no duration: {names}.").format(
                names=", ".join(offer.without_duration)
            )
        yes = self._confirm(_("Copy plans to the relay?"), question)
        self._import.mark_offered()
        if yes:
            self._tasks.start(self._copy(client, offer.plans))

    async def _copy(self, client: RelayClient, plans: tuple[Plan, ...]) -> None:
        status = self._charge.view.status
        try:
            await save_plans(client, (), plans)
        except RelayError as error:
            status.show_status(
                _("The plans were not copied: {error}").format(error=error), StatusKind.ERROR
            )
            return
        status.show_status(
            ngettext(
                "{count} plan copied to the relay.",
                "{count} plans copied to the relay.",
                len(plans),
            ).format(count=len(plans)),
            StatusKind.OK,
        )
        await self._refresh(client)

    def edit(self) -> SharedPlansEditor | None:
        """Open the owner's editor of the relay's plans."""
        client = self._live.client
        if client is None or not self._owner:
            return None
        parent: QWidget = self._charge.view
        view = editor_view(parent)
        editor = SharedPlansEditor(view, client, self.shared, self._kept)
        editor.saved.connect(lambda _writes: self._saved(client))
        view.finished.connect(lambda _result: view.deleteLater())
        self.editor = editor
        view.open()
        return editor

    def _saved(self, client: RelayClient) -> None:
        self._charge.view.status.show_status(_("The plans were saved on the relay."), StatusKind.OK)
        self.refresh(client)

    async def close(self) -> None:
        """Cancel requests still running."""
        await self._tasks.cancel_all()
