"""Getting started controller: gathers what is done (this PC, the relay) and leads to the rest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bucket_desktop.i18n import _, ngettext
from bucket_desktop.services.owner_setup.checklist import (
    SetupFacts,
    Step,
    checklist,
    is_complete,
)
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.services.relay_models import CredentialsSummary
from bucket_desktop.services.shared_plans.relay_plans import fetch_plans
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.newest_answer import NewestAnswer
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.setup_checklist.checklist_view import SetupChecklistView
from bucket_desktop.ui.shell.main_window import RelaySession

log = logging.getLogger(__name__)


class SetupChecklist:
    """Shows the five steps; `on_checked(complete)` hears the first result after each sign-in."""

    def __init__(
        self,
        view: SetupChecklistView,
        *,
        credentials_saved: Callable[[], bool],
        plans_saved: Callable[[], bool],
        actions: dict[Step, Callable[[], object]],
    ) -> None:
        self.view = view
        self._credentials_saved = credentials_saved
        self._plans_saved = plans_saved
        self._session: RelaySession | None = None
        self._tasks = TaskSet()
        self.complete: bool | None = None  # None until the relay has been asked
        self.on_checked: Callable[[bool], None] | None = None
        self._announce = False
        self._checks = NewestAnswer()
        for step, row in view.rows.items():
            action = actions.get(step)
            if action is not None:
                row.button.clicked.connect(lambda _checked=False, act=action: act())
        view.refresh_button.clicked.connect(self.check_soon)

    def set_session(self, session: RelaySession | None) -> None:
        """A sign-in (or out): check everything again and tell `on_checked` the result."""
        self._session = session
        self.complete = None
        if session is not None:
            self._announce = True
            self.check_soon()

    def check_soon(self) -> None:
        """Check again in the background (the page was opened, or Check again pressed)."""
        if self._session is None:
            return
        self._tasks.start(self.check())

    async def check(self) -> bool:
        """Gather the facts, show the lines; True when every step is done."""
        session = self._session
        if session is None:
            return False
        self.view.summary.show_status(_("Checking…"), StatusKind.WORKING)
        facts = await self._checks.take(self._facts(session))
        if facts is None or session is not self._session:
            return False  # a newer check will answer, or signed out or in elsewhere meanwhile
        lines = checklist(facts)
        self.view.show_lines(lines)
        self.complete = is_complete(lines)
        self._show_summary(sum(1 for line in lines if not line.done), facts.relay_problem)
        if self._announce and facts.summary is not None:
            self._announce = False
            if self.on_checked is not None:
                self.on_checked(self.complete)
        return self.complete

    async def _facts(self, session: RelaySession) -> SetupFacts:
        summary: CredentialsSummary | None = None
        problem = ""
        try:
            summary = await session.client.credentials()
        except RelayError as error:
            problem = str(error)
        return SetupFacts(
            relay_url=session.client.base_url,
            credentials_saved=await asyncio.to_thread(self._credentials_saved),
            summary=summary,
            plans_saved=await self._plans_set(session),
            relay_problem=problem,
        )

    async def _plans_set(self, session: RelaySession) -> bool:
        # Plans live on the relay (all desks share them); a plans file from before counts too.
        try:
            shared = await fetch_plans(session.client)
        except RelayError:
            shared = None
        if shared is not None and shared.plans:
            return True
        return await asyncio.to_thread(self._plans_saved)

    async def close(self) -> None:
        """Stop a check in flight: the window is closing."""
        await self._tasks.cancel_all()

    def _show_summary(self, todo: int, problem: str) -> None:
        if problem:
            self.view.summary.show_status(problem, StatusKind.ERROR)
        elif not todo:
            self.view.summary.show_status(
                _("Everything is set up: the relay can charge your customers."), StatusKind.OK
            )
        else:
            self.view.summary.show_status(
                ngettext("{count} step to go.", "{count} steps to go.", todo).format(count=todo),
                StatusKind.NEUTRAL,
            )
