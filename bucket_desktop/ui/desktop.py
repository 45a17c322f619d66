"""The assembled desktop: main window, pages, and signing in to the relay.

`build_desktop` is called by the composition root (`bucket_desktop.app`) and by the tests; it
constructs every controller and registers every page, so adding a page means adding it here.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from bucket_desktop.services.app_settings import AppPaths, AppSettings, SettingsFile
from bucket_desktop.services.daraja_client import DarajaClient
from bucket_desktop.services.keystore import RELAY_TOKEN, SecretStore
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_models import Identity
from bucket_desktop.services.vault import Vault
from bucket_desktop.ui.credentials_form import CredentialsForm
from bucket_desktop.ui.main_window import MainWindow, Page, RelaySession
from bucket_desktop.ui.main_window_view import MainWindowView
from bucket_desktop.ui.placeholder_page import ComingSoonPage
from bucket_desktop.ui.relay_panel import Confirm, RelayPanel, ask_with_message_box
from bucket_desktop.ui.settings_page import SettingsPage
from bucket_desktop.ui.settings_page_view import SettingsPageView
from bucket_desktop.ui.widgets import scrollable

log = logging.getLogger(__name__)

SETTINGS_PAGE = "settings"
CHARGE_PAGE = "charge"
STATUS_PAGE = "stk-status"
PAYMENTS_PAGE = "payments"


@dataclass
class Desktop:
    """Everything `build_desktop` made, for the composition root and for tests."""

    window: MainWindow
    settings_page: SettingsPage
    settings: AppSettings
    settings_file: SettingsFile
    secrets: SecretStore
    http: httpx.AsyncClient

    async def sign_in(self, relay_url: str, token: str, *, remember: bool = True) -> Identity:
        """Check the token with the relay and use it; RelayError when the relay refuses."""
        client = RelayClient(self.http, relay_url, token)
        identity = await client.identify()
        if remember:
            await asyncio.to_thread(self.secrets.set, RELAY_TOKEN, token)
            self.settings.relay_url = client.base_url
            self.settings_file.save(self.settings)
        self.window.set_session(RelaySession(client, identity))
        log.info("Signed in to %s as %s.", client.base_url, identity.role)
        return identity

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
) -> Desktop:
    """Construct the window, its controllers and pages; nothing is shown or fetched yet."""
    settings_file = SettingsFile(paths.settings_file)
    settings = settings_file.load()
    window = MainWindow(MainWindowView(), settings, settings_file)
    settings_page = _build_settings_page(
        paths, http, secrets, settings, settings_file, environ, confirm, demo
    )
    window.add_page(
        Page(
            key=SETTINGS_PAGE,
            title="Payment settings",
            widget=scrollable(settings_page.view),
            owner_only=True,
            on_session=settings_page.set_session,
        )
    )
    for page in _counter_pages():
        window.add_page(page)
    return Desktop(window, settings_page, settings, settings_file, secrets, http)


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
    )
    return SettingsPage(
        view,
        form=form,
        vault=Vault(paths.vault_file),
        secrets=secrets,
        daraja=DarajaClient.from_environment(http, environ),
        relay_panel=relay_panel,
    )


def _counter_pages() -> list[Page]:
    # Placeholders until the counter pages land (issue 7).
    return [
        Page(
            CHARGE_PAGE,
            "Charge customer",
            ComingSoonPage(
                "Charging customers",
                "Send an M-PESA prompt to a customer's phone: phone number, amount or plan, "
                "reference. This page is being built.",
            ),
        ),
        Page(
            STATUS_PAGE,
            "STK status",
            ComingSoonPage(
                "STK status",
                "Follow each prompt live: waiting for PIN, paid with the receipt, cancelled, "
                "expired. This page is being built.",
            ),
        ),
        Page(
            PAYMENTS_PAGE,
            "Payments",
            ComingSoonPage(
                "The payments list",
                "Every payment from the relay, searchable, with daily totals and CSV export. "
                "This page is being built.",
            ),
        ),
    ]
