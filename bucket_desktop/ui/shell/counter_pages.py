"""Builds the three counter pages (Charge customer, STK status, Payments) and their wiring.

The composition root calls `build_counter_pages(...)` once and adds `.charge_view`,
`.stk_status_view` and `.payments_view` to the window; `on_session` follows sign-in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from bucket_desktop.i18n import _
from bucket_desktop.services.payment_feed import Backoff
from bucket_desktop.services.plans import Plan, PlansError, PlanStore, default_plans
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.shared_plans.local_import import LocalPlansImport
from bucket_desktop.ui.access.receipt_print import ask_print
from bucket_desktop.ui.charge.charge_page import ChargePage, Confirm
from bucket_desktop.ui.charge.charge_page_view import ChargePageView
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.live_payments import LivePayments
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.payments.payments_page import ChooseExportPath, PaymentsPage
from bucket_desktop.ui.payments.payments_page_view import PaymentsPageView
from bucket_desktop.ui.shared_plans.plans_sync import SharedPlansSync
from bucket_desktop.ui.shell.main_window import RelaySession
from bucket_desktop.ui.shell.tray import CounterTray
from bucket_desktop.ui.stk_status.stk_status_page import StkStatusPage
from bucket_desktop.ui.stk_status.stk_status_page_view import StkStatusPageView


@dataclass(slots=True)
class CounterPages:
    """The three pages, their controllers and the live feed they share."""

    live: LivePayments
    charge: ChargePage
    stk_status: StkStatusPage
    payments: PaymentsPage
    tray: CounterTray | None
    tasks: TaskSet
    plans: SharedPlansSync

    @property
    def charge_view(self) -> ChargePageView:
        """The Charge customer page widget."""
        return self.charge.view

    @property
    def stk_status_view(self) -> StkStatusPageView:
        """The STK status page widget."""
        return self.stk_status.view

    @property
    def payments_view(self) -> PaymentsPageView:
        """The Payments page widget."""
        return self.payments.view

    async def set_client(self, client: RelayClient | None) -> None:
        """Follow a relay session's payments (None when signed out)."""
        if client is not self.live.client:
            await self.live.set_client(client)

    def on_session(self, session: RelaySession | None) -> None:
        """Main window hook: follow the signed-in relay; only the owner may edit plans."""
        self.charge.set_can_edit_plans(session is not None and session.identity.is_owner)
        # Printed at the top of each customer's receipt.
        name = session.identity.provider_name if session is not None else None
        self.stk_status.access.provider_name = name or ""
        self.plans.on_session(
            session.client if session is not None else None,
            owner=session is not None and session.identity.is_owner,
        )
        self.tasks.start(self.set_client(session.client if session is not None else None))

    async def close(self) -> None:
        """Stop the feed, timers and requests (the window is closing)."""
        await self.tasks.cancel_all()
        await self.plans.close()
        await self.charge.close()
        await self.stk_status.close()
        await self.payments.close()
        await self.live.close()
        if self.tray is not None:
            self.tray.hide()


def ask_yes_no(parent: QWidget) -> Confirm:
    """A confirmation backed by a message box over `parent`."""

    def confirm(title: str, text: str) -> bool:
        # The app's own buttons (every question here is about sending a prompt), with the
        # safe answer as the default: Enter never sends a second prompt by accident.
        box = QMessageBox(
            QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent
        )
        send = box.addButton(_("Send the prompt"), QMessageBox.ButtonRole.AcceptRole)
        send.setObjectName("primaryButton")
        keep = box.addButton(_("Don't send"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.exec()
        return box.clickedButton() is send

    return confirm


def ask_export_path(parent: QWidget) -> ChooseExportPath:
    """A save-file dialog over `parent` for CSV files."""

    def choose(suggested: str) -> Path | None:
        name, _filter = QFileDialog.getSaveFileName(
            parent, _("Export payments"), str(Path.home() / suggested), _("CSV files (*.csv)")
        )
        return Path(name) if name else None

    return choose


def load_plans(store: PlanStore) -> tuple[tuple[Plan, ...], str]:
    """The saved plans, or the defaults and a sentence saying why the file was not used."""
    try:
        return store.load(), ""
    except PlansError as error:
        return default_plans(), _(
            "{error} The standard plans are shown until the owner saves."
        ).format(error=error)


def build_counter_pages(
    *,
    plans: Sequence[Plan] | None = None,
    plan_store: PlanStore | None = None,
    tz: tzinfo | None = None,
    confirm: Confirm | None = None,
    choose_export_path: ChooseExportPath | None = None,
    show_status_page: Callable[[], object] | None = None,
    demo_phones: Sequence[tuple[str, str]] = (),
    prompt_lifetime_s: float = 60.0,
    feed_wait_s: float = 25.0,
    feed_backoff: Backoff | None = None,
    with_tray: bool = True,
    cache_dir: Path | None = None,
    local_import: LocalPlansImport | None = None,
) -> CounterPages:
    """Create the pages; `show_status_page()` is called after each push is sent.

    Plans come from `plans`, else from `plan_store` (which the owner can then edit), else the
    defaults. `cache_dir` (the app's data folder) keeps a local copy of the payments.
    """
    live = LivePayments(tz=tz, wait_s=feed_wait_s, backoff=feed_backoff, cache_dir=cache_dir)
    charge_view, stk_view, payments_view = ChargePageView(), StkStatusPageView(), PaymentsPageView()
    problem = ""
    if plans is None:
        plans, problem = load_plans(plan_store) if plan_store else (default_plans(), "")
    charge = ChargePage(
        charge_view,
        live,
        plans,
        confirm=confirm or ask_yes_no(charge_view),
        demo_phones=demo_phones,
        plan_store=plan_store,
    )
    if problem:
        charge_view.status.show_status(problem, StatusKind.WARNING)
    stk_status = StkStatusPage(
        stk_view,
        live,
        confirm=confirm or ask_yes_no(stk_view),
        print_receipt=ask_print(stk_view),
        prompt_lifetime_s=prompt_lifetime_s,
    )
    payments = PaymentsPage(
        payments_view,
        live,
        choose_export_path=choose_export_path or ask_export_path(payments_view),
        tz=tz,
    )
    plans_sync = SharedPlansSync(
        charge,
        live,
        local_plans=plans,
        confirm=confirm or ask_yes_no(charge_view),
        local_import=local_import,
    )
    pages = CounterPages(live, charge, stk_status, payments, None, TaskSet(), plans_sync)
    _connect(pages, show_status_page, with_tray)
    return pages


def _connect(
    pages: CounterPages, show_status_page: Callable[[], object] | None, with_tray: bool
) -> None:
    pages.charge.push_sent.connect(pages.stk_status.track)
    if show_status_page is not None:
        pages.charge.push_sent.connect(lambda _checkout: show_status_page())
    if with_tray:
        pages.tray = CounterTray()
        pages.live.connection_changed.connect(pages.tray.show_connection)
        pages.live.payment_paid.connect(pages.tray.notify_paid)
        pages.live.payment_disputed.connect(pages.tray.notify_disputed)
