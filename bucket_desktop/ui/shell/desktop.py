"""The assembled desktop: main window, pages, and signing in to the relay.

`build_desktop` is called by the composition root (`bucket_desktop.app`) and by the tests; it
constructs every controller and registers every page, so adding a page means adding it here.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from PySide6.QtWidgets import QPushButton, QWidget

from bucket_desktop.i18n import (
    ENGLISH,
    LANGUAGES,
    N_,
    SWAHILI,
    _,
    current_language,
    system_language,
)
from bucket_desktop.i18n.qt.live import apply_language
from bucket_desktop.services.app_settings import AppPaths, AppSettings, SettingsFile
from bucket_desktop.services.daraja_client import DarajaClient
from bucket_desktop.services.keystore import RELAY_TOKEN, KeystoreError, SecretStore
from bucket_desktop.services.mikrotik.router_settings import RouterSettingsFile
from bucket_desktop.services.owner_setup.checklist import Step
from bucket_desktop.services.payment_feed import FeedState
from bucket_desktop.services.payment_rows import PaymentRow, format_phone
from bucket_desktop.services.plans import PlansError, PlanStore, default_plans
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_models import Identity
from bucket_desktop.services.shared_plans.local_import import LocalPlansImport
from bucket_desktop.services.vault import Vault
from bucket_desktop.ui.about.about import AboutBox
from bucket_desktop.ui.common.demo_help import demo_phones
from bucket_desktop.ui.common.dialog_helpers import Confirm
from bucket_desktop.ui.common.newest_answer import NewestAnswer
from bucket_desktop.ui.common.widgets import StatusKind, scrollable
from bucket_desktop.ui.desks.desks_page import DesksPage
from bucket_desktop.ui.desks.desks_page_view import DesksPageView
from bucket_desktop.ui.platform.platform_page import PlatformPage
from bucket_desktop.ui.platform.platform_page_view import PlatformPageView
from bucket_desktop.ui.router.router_page import RouterPage
from bucket_desktop.ui.router.router_page_view import RouterPageView
from bucket_desktop.ui.settings.credentials_form import CredentialsForm
from bucket_desktop.ui.settings.relay_panel import RelayPanel, ask_with_message_box
from bucket_desktop.ui.settings.settings_page import SettingsPage
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView
from bucket_desktop.ui.setup_checklist.checklist_page import SetupChecklist
from bucket_desktop.ui.setup_checklist.checklist_view import SetupChecklistView
from bucket_desktop.ui.shell.counter_pages import CounterPages, build_counter_pages
from bucket_desktop.ui.shell.main_window import MainWindow, Page, RelaySession
from bucket_desktop.ui.shell.main_window_view import MainWindowView
from bucket_desktop.ui.webhooks.page import WebhooksPage
from bucket_desktop.ui.webhooks.page_view import WebhooksPageView

log = logging.getLogger(__name__)

SETTINGS_PAGE = "settings"
CHARGE_PAGE = "charge"
STATUS_PAGE = "stk-status"
PAYMENTS_PAGE = "payments"
DESKS_PAGE = "desks"
PLATFORM_PAGE = "platform"
WEBHOOKS_PAGE = "webhooks"
ROUTER_PAGE = "router"
CHECKLIST_PAGE = "getting-started"
SIGNED_OUT_BY_RELAY = N_(
    "This desk was signed out: {reason} The payments kept on this PC stay hidden until it "
    "signs in again with “Change relay…” and a token from the owner."
)


@dataclass
class Desktop:
    """Everything `build_desktop` made, for the composition root and for tests."""

    window: MainWindow
    settings_page: SettingsPage
    settings: AppSettings
    settings_file: SettingsFile
    secrets: SecretStore
    http: httpx.AsyncClient
    counter: CounterPages
    desks: DesksPage
    platform: PlatformPage
    webhooks: WebhooksPage
    router: RouterPage
    checklist: SetupChecklist
    about: AboutBox
    # Sign-ins overlap (the saved relay retried at start while the person chooses another):
    # the one started last decides the session, even when an older one answers after it.
    sign_ins: NewestAnswer = field(default_factory=NewestAnswer, repr=False)

    async def sign_in(self, relay_url: str, token: str, *, remember: bool = True) -> Identity:
        """Check the token with the relay and use it; RelayError when the relay refuses.

        A sign-in that a newer one overtook returns the identity without using it.
        """
        client = RelayClient(self.http, relay_url, token)
        number = self.sign_ins.ask()
        identity = await client.identify()
        if not self.sign_ins.is_newest(number):
            log.info("A newer sign-in replaced the one to %s.", client.base_url)
            return identity
        self.window.set_session(RelaySession(client, identity))
        if remember:
            await self._remember(client.base_url, token)
        log.info("Signed in to %s as %s.", client.base_url, identity.role)
        return identity

    async def _remember(self, relay_url: str, token: str) -> None:
        try:
            await asyncio.to_thread(self.secrets.set, RELAY_TOKEN, token)
        except KeystoreError as error:
            self.window.show_message(
                _(
                    "Signed in, but the token could not be kept: {error} It will be asked "
                    "for again at the next start."
                ).format(error=error),
                StatusKind.WARNING,
            )
            return
        self.settings.relay_url = relay_url
        self.settings_file.save(self.settings)

    async def close(self) -> None:
        """Stop the pages' background work (the live feed, timers); the window is closing."""
        await self.about.close()
        await self.checklist.close()
        await self.desks.close()
        await self.platform.close()
        await self.webhooks.close()
        await self.router.close()
        await self.settings_page.relay_panel.close()
        await self.counter.close()

    async def saved_token(self) -> str | None:
        """The relay token kept in the secret store, if any."""
        return await asyncio.to_thread(self.secrets.get, RELAY_TOKEN)


def build_desktop(
    paths: AppPaths,
    http: httpx.AsyncClient,
    secrets: SecretStore,
    *,
    environ: Mapping[str, str] = os.environ,
    confirm: Confirm = ask_with_message_box,
    demo: bool = False,
    with_tray: bool = True,
) -> Desktop:
    """Construct the window, its controllers and pages; nothing is shown or fetched yet."""
    settings_file = SettingsFile(paths.settings_file)
    settings = settings_file.load()
    # Before any view is built: constructors translate their texts (bucket_desktop.i18n). The
    # system's language is the process's (`environ` here only configures Daraja).
    apply_language(settings.language or system_language())
    window = MainWindow(MainWindowView(), settings, settings_file)
    settings_page = _build_settings_page(
        paths, http, secrets, settings, settings_file, environ, confirm, demo
    )
    counter = _build_counter_pages(window, paths, demo=demo, with_tray=with_tray)
    checklist = _build_checklist(window, paths, settings_page, counter, demo=demo)
    window.add_page(
        Page(
            CHECKLIST_PAGE,
            N_("Getting started"),
            scrollable(checklist.view),
            owner_only=True,
            on_session=checklist.set_session,
        )
    )
    window.add_page(
        Page(
            key=SETTINGS_PAGE,
            title=N_("Payment settings"),
            widget=scrollable(settings_page.view),
            owner_only=True,
            on_session=settings_page.set_session,
        )
    )
    # Every page scrolls when the window is smaller than the page needs (a 1024x600 netbook).
    charge = scrollable(counter.charge_view)
    window.add_page(Page(CHARGE_PAGE, N_("Charge customer"), charge, on_session=counter.on_session))
    window.add_page(Page(STATUS_PAGE, N_("STK status"), scrollable(counter.stk_status_view)))
    window.add_page(Page(PAYMENTS_PAGE, N_("Payments"), scrollable(counter.payments_view)))
    counter.live.payment_disputed.connect(lambda row: window.show_alert(dispute_alert(row)))
    desks = DesksPage(DesksPageView(), confirm=confirm)
    window.add_page(
        Page(DESKS_PAGE, N_("Desks"), desks.view, owner_only=True, on_session=desks.set_session)
    )
    platform = PlatformPage(PlatformPageView(), confirm=confirm)
    window.add_page(
        Page(
            PLATFORM_PAGE,
            N_("Platform"),
            platform.view,
            admin_only=True,
            on_session=platform.set_session,
        )
    )
    webhooks = WebhooksPage(WebhooksPageView(), confirm=confirm)
    window.add_page(
        Page(
            WEBHOOKS_PAGE,
            N_("Webhooks"),
            webhooks.view,
            owner_only=True,
            on_session=webhooks.set_session,
        )
    )
    # On every desk: a desk at the shop's router makes the hotspot users (DESIGN.md 13).
    router_file = RouterSettingsFile(paths.data_dir / "router.vault")
    router = RouterPage(RouterPageView(), router_file, secrets)
    window.add_page(
        Page(ROUTER_PAGE, N_("Router"), scrollable(router.view), on_session=router.set_session)
    )
    counter.live.connection_changed.connect(
        lambda state, message: _sign_out_if_refused(window, state, message)
    )
    _offer_other_language(window.view.language_button, settings_page)
    about = AboutBox(paths.log_file)
    window.view.about_button.clicked.connect(
        lambda: about.show(window.view, window.session.client if window.session else None)
    )
    return Desktop(
        window,
        settings_page,
        settings,
        settings_file,
        secrets,
        http,
        counter,
        desks,
        platform,
        webhooks,
        router,
        checklist,
        about,
    )


def _build_checklist(
    window: MainWindow,
    paths: AppPaths,
    settings_page: SettingsPage,
    counter: CounterPages,
    *,
    demo: bool,
) -> SetupChecklist:
    def open_settings(focus: QWidget) -> None:
        window.show_page(SETTINGS_PAGE)
        focus.setFocus()

    def test_prompt() -> None:
        window.show_page(SETTINGS_PAGE)
        settings_page.relay_panel.send_test_prompt()

    def edit_plans() -> None:
        window.show_page(CHARGE_PAGE)
        counter.charge.edit_plans()

    view = settings_page.view
    checklist = SetupChecklist(
        SetupChecklistView(),
        credentials_saved=Vault(paths.vault_file).exists,
        plans_saved=PlanStore(paths.data_dir).path.exists,
        actions={
            Step.RELAY: window.change_relay_requested.emit,
            Step.SAVED: lambda: open_settings(view.consumer_key),
            Step.PUSHED: lambda: open_settings(view.push_button),
            Step.PROMPT: test_prompt,
            Step.PLANS: edit_plans,
        },
    )

    def checked(complete: bool) -> None:
        # An owner who has not finished lands here rather than on Charge customer (the page
        # shown before sign-in); a page the owner chose stays. The demo opens its settings.
        if not complete and not demo and window.current_key() == CHARGE_PAGE:
            window.show_page(CHECKLIST_PAGE)

    checklist.on_checked = checked
    window.view.pages.currentChanged.connect(
        lambda _index: checklist.check_soon() if window.current_key() == CHECKLIST_PAGE else None
    )
    return checklist


def _sign_out_if_refused(window: MainWindow, state: str, message: str) -> None:
    # The relay refused this desk's token mid-session (revoked by the owner): sign out at once,
    # which also hides the payments kept on this PC until someone signs in again.
    if state != FeedState.REFUSED.value or window.session is None:
        return
    log.warning("The relay refused this desk's token; signing out.")
    window.set_session(None)
    window.show_message(_(SIGNED_OUT_BY_RELAY).format(reason=message), StatusKind.ERROR)


def dispute_alert(row: PaymentRow) -> str:
    """The red alert for a payment that showed Paid and is now disputed."""
    sent = datetime.fromtimestamp(row.created).strftime("%H:%M")
    return _(
        "NOT PAID after all: KES {amount} from {phone} (sent at {sent}) "
        "showed Paid, but M-PESA now disputes it. If access was given, check the "
        "M-PESA statement before giving more."
    ).format(amount=f"{row.amount:,}", phone=format_phone(row.phone_number), sent=sent)


def _build_settings_page(
    paths: AppPaths,
    http: httpx.AsyncClient,
    secrets: SecretStore,
    settings: AppSettings,
    settings_file: SettingsFile,
    environ: Mapping[str, str],
    confirm: Confirm,
    demo: bool,
) -> SettingsPage:
    view = SettingsPageView()
    form = CredentialsForm(view)
    relay_panel = RelayPanel(
        view,
        read_credentials=form.read,
        settings=settings,
        settings_file=settings_file,
        confirm=confirm,
        local_callbacks_ok=demo,
        peek_credentials=form.peek,
    )
    return SettingsPage(
        view,
        form=form,
        vault=Vault(paths.vault_file),
        secrets=secrets,
        daraja=DarajaClient.from_environment(http, environ),
        relay_panel=relay_panel,
        confirm=confirm,
        settings=(settings, settings_file),
    )


def _offer_other_language(button: QPushButton, settings_page: SettingsPage) -> None:
    """The header's button names the other language and switches to it."""

    def show_other(code: str) -> None:
        other = SWAHILI if code == ENGLISH else ENGLISH
        button.setText(LANGUAGES[other])
        button.setProperty("language", other)

    show_other(current_language())
    button.clicked.connect(lambda: settings_page.choose_language(button.property("language")))
    settings_page.language_changed.append(show_other)


def _build_counter_pages(
    window: MainWindow, paths: AppPaths, *, demo: bool, with_tray: bool
) -> CounterPages:
    try:
        plans = PlanStore(paths.data_dir).load()
    except PlansError as error:
        window.show_message(
            _("{error} The standard plans are used meanwhile.").format(error=error),
            StatusKind.WARNING,
        )
        plans = default_plans()
    return build_counter_pages(
        plans=plans,
        plan_store=PlanStore(paths.data_dir),  # the owner edits the plans from the page
        local_import=LocalPlansImport(paths.data_dir),  # offered to the relay once
        cache_dir=paths.data_dir,  # a local copy of the payments: fast starts, resumed cursor
        show_status_page=lambda: window.show_page(STATUS_PAGE),
        demo_phones=demo_phones() if demo else (),
        with_tray=with_tray,
    )
