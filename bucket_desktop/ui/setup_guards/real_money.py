"""Production means real money: confirm the switch, and warn about sandbox values there."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.credentials import DarajaCredentials, Environment
from bucket_desktop.services.owner_setup.sandbox_check import (
    PRODUCTION_SWITCH_QUESTION,
    sandbox_values_in_production,
)
from bucket_desktop.ui.common.dialog_helpers import Confirm, confirmed
from bucket_desktop.ui.common.widgets import StatusKind, StatusLabel

SANDBOX_TITLE = N_("Sandbox values in Production")
SWITCH_TITLE = N_("Switch to real money?")


async def sandbox_values_confirmed(
    credentials: DarajaCredentials, confirm: Confirm, action: str, status: StatusLabel
) -> bool:
    """True when the credentials are fine, or the owner goes on after the warning.

    `action` is the verb of the button ("Save", "Push"); a No leaves a sentence in `status`.
    """
    warning = sandbox_values_in_production(credentials)
    if warning is None:
        return True
    if await confirmed(
        confirm,
        _(SANDBOX_TITLE),
        _("{warning}\n\n{action} anyway?").format(warning=warning, action=action),
    ):
        return True
    status.show_status(
        _("Nothing was changed. {warning}").format(warning=warning), StatusKind.WARNING
    )
    return False


class EnvironmentGuard:
    """Asks before the environment combo box goes to Production; puts it back on a No."""

    def __init__(
        self,
        combo: QComboBox,
        confirm: Confirm,
        status: StatusLabel,
        peek: Callable[[], DarajaCredentials | None],
    ) -> None:
        self._combo = combo
        self._confirm = confirm
        self._status = status
        self._peek = peek
        self._settled = self._before = combo.currentData()
        self._pending: asyncio.Future[None] | None = None  # an unanswered question
        # A person's pick emits currentIndexChanged and then `activated` in the same event;
        # filling saved values emits only the first, so it never asks. `_before` is the value
        # the pick started from, and it settles once the event is over.
        combo.currentIndexChanged.connect(self._changed)
        combo.activated.connect(self._chosen)

    def _changed(self, _index: int) -> None:
        self._before, self._settled = self._settled, self._combo.currentData()
        QTimer.singleShot(0, self._settle)

    def _settle(self) -> None:
        self._before = self._settled

    def _chosen(self, _index: int) -> None:
        production = Environment.PRODUCTION.value
        switching = self._settled == production and self._before != production
        self._settle()
        if not switching:
            return
        answer = self._confirm(_(SWITCH_TITLE), PRODUCTION_SWITCH_QUESTION)
        if inspect.isawaitable(answer):
            # The app's message box answers later; the combo box shows Production meanwhile
            # behind the window-modal question.
            self._pending = asyncio.ensure_future(self._answered(answer))
        else:
            self._apply(bool(answer))

    async def _answered(self, answer: Awaitable[bool]) -> None:
        self._apply(await answer)

    def _apply(self, yes: bool) -> None:
        if not yes:
            self._combo.setCurrentIndex(self._combo.findData(Environment.SANDBOX.value))
            self._settle()
            self._status.show_status(
                _("Still Sandbox (testing): no real money is asked for."), StatusKind.OK
            )
            return
        credentials = self._peek()
        warning = sandbox_values_in_production(credentials) if credentials else None
        if warning:
            self._status.show_status(warning, StatusKind.WARNING)
