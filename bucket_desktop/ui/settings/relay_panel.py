"""Relay half of the settings page: push sealed credentials, verify, the callback URL.

Trust in the relay's key is `relay_key_trust`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from PySide6.QtGui import QGuiApplication
from qasync import asyncSlot

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.app_settings import AppSettings, SettingsFile
from bucket_desktop.services.credentials import DarajaCredentials, Environment
from bucket_desktop.services.mpesa_rules import lint_callback_url
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.services.relay_models import (
    CredentialsSummary,
    VerificationResult,
)
from bucket_desktop.services.sealing import SealingError, seal
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.dialog_helpers import Confirm, ask_yes_no
from bucket_desktop.ui.common.newest_answer import NewestAnswer
from bucket_desktop.ui.common.widgets import StatusKind, busy
from bucket_desktop.ui.settings.prompt_check_dialog import PromptCheckDialog
from bucket_desktop.ui.settings.prompt_check_dialog_view import PromptCheckDialogView
from bucket_desktop.ui.settings.relay_key_trust import RelayKeyTrust
from bucket_desktop.ui.settings.relay_texts import (
    ASK_FOR_PUBLIC_ADDRESS,
    check_text,
    friendly_time,
    prompt_line,
    proven_text,
    relay_holds_text,
    verification_message,
    verification_text,
)
from bucket_desktop.ui.settings.settings_page_view import SettingsPageView
from bucket_desktop.ui.setup_guards.real_money import sandbox_values_confirmed
from bucket_desktop.ui.shell.main_window import RelaySession

log = logging.getLogger(__name__)

TEST_OUTCOMES = {
    "passed": N_("passed"),
    "warning": N_("passed with warnings"),
    "failed": N_("failed"),
}
LOCAL_CALLBACK_NOTE = N_(
    "A local callback address is fine here: the offline simulator calls back on this PC."
)


async def ask_with_message_box(title: str, question: str) -> bool:
    """Yes/No question in a message box; No is the default (never blocks the event loop)."""
    return await ask_yes_no(title, question)


class RelayPanel:
    """Push, Verify, the pinned relay key and the callback URL."""

    def __init__(
        self,
        view: SettingsPageView,
        *,
        read_credentials: Callable[[], DarajaCredentials | None],
        settings: AppSettings,
        settings_file: SettingsFile,
        confirm: Confirm = ask_with_message_box,
        local_callbacks_ok: bool = False,
        peek_credentials: Callable[[], DarajaCredentials | None] | None = None,
    ) -> None:
        self.view = view
        self._read_credentials = read_credentials
        self._confirm = confirm
        self._local_callbacks_ok = local_callbacks_ok
        self._session: RelaySession | None = None
        self._peek = peek_credentials
        self._summary: CredentialsSummary | None = None
        # Verify's last answer, said again on a language switch (the status line only while
        # nothing else has been said there since).
        self._verification: tuple[VerificationResult, bool] | None = None
        self._status_is_verify = False
        self.prompt_dialog: PromptCheckDialog | None = None  # while open (tests reach it)
        self._tasks = TaskSet()
        # The relay's state as read by a refresh, a push or a verify: the newest is shown.
        self._reads = NewestAnswer()
        self._key_trust = RelayKeyTrust(
            view,
            settings=settings,
            settings_file=settings_file,
            confirm=confirm,
            local_callbacks_ok=local_callbacks_ok,
            status=self._status,
        )
        view.push_button.clicked.connect(self.push)
        view.verify_button.clicked.connect(self.verify)
        view.copy_button.clicked.connect(self.copy_callback_url)
        view.test_prompt_button.clicked.connect(self.send_test_prompt)
        for line in (view.consumer_key, view.shortcode, view.till_number):
            line.textChanged.connect(self.show_unpushed)
        for secret in (view.consumer_secret, view.passkey):
            secret.line_edit.textChanged.connect(self.show_unpushed)
        for combo in (view.environment, view.account_type):
            combo.currentIndexChanged.connect(self.show_unpushed)
        self._set_enabled(False)

    def set_session(self, session: RelaySession | None) -> None:
        """Use this relay connection (None: signed out or not the owner)."""
        self._session = session
        self._set_enabled(session is not None)
        if session is None:
            self._reads.drop_pending()  # the relay's state read before sign-out is not shown
            self._status(_("Sign in as the owner to use the relay."))
            return
        self._key_trust.set_session(session)
        self._tasks.start(self.refresh())

    async def close(self) -> None:
        """Stop a fetch in flight: the window is closing, and a request left pending would
        keep a timer of the closed event loop alive."""
        await self._tasks.cancel_all()

    async def refresh(self) -> None:
        """Show what the relay holds now."""
        if self._session is None:
            return
        try:
            summary = await self._reads.take(self._session.client.credentials())
        except RelayError as error:
            self._status(str(error), StatusKind.ERROR)
            return
        if summary is not None:
            self._show_summary(summary)

    @asyncSlot()
    async def push(self) -> None:
        """Seal the form's credentials to the pinned relay key and upload them."""
        session = self._session
        credentials = self._read_credentials()
        if session is None or credentials is None:
            if credentials is None:
                self._status(_("Fix the fields marked in red first."), StatusKind.ERROR)
            return
        status = self.view.relay_status
        if not await sandbox_values_confirmed(credentials, self._confirm, _("Push"), status):
            return
        status.show_status(_("Fetching the relay key…"), StatusKind.WORKING)
        self._reads.drop_pending()  # a refresh still out answers with the state before the push
        with busy(self.view.push_button, self.view.verify_button):
            try:
                key = await session.client.relay_key()
                if not await self._key_trust.is_trusted(session, key):
                    return
                status.show_status(_("Sending sealed credentials…"), StatusKind.WORKING)
                sealed = seal(key.public_key, credentials.to_json())
                summary = await session.client.put_credentials(sealed, key.fingerprint)
            except (RelayError, SealingError) as error:
                if session is self._session:
                    status.show_status(str(error), StatusKind.ERROR)
                return
        if session is not self._session:
            return  # signed out or in elsewhere meanwhile: this relay's state is not shown
        self._show_summary(summary)
        status.show_status(
            _("The relay has the new credentials. Press Verify on relay to test them there."),
            StatusKind.OK,
        )
        log.info("Credentials pushed to %s (key %s).", session.client.base_url, key.fingerprint)

    @asyncSlot()
    async def verify(self) -> None:
        """Ask the relay to test its stored credentials with Daraja."""
        session = self._session
        if session is None:
            return
        status = self.view.relay_status
        status.show_status(
            _("The relay is testing the credentials with Daraja…"), StatusKind.WORKING
        )
        self._reads.drop_pending()  # a refresh still out answers with the state before the test
        with busy(self.view.push_button, self.view.verify_button):
            try:
                result = await session.client.test_credentials()
                summary = await session.client.credentials()
            except RelayError as error:
                if session is self._session:
                    status.show_status(str(error), StatusKind.ERROR)
                return
        if session is not self._session:
            return  # signed out or in elsewhere meanwhile: this relay's answer is not shown
        self._show_summary(summary)
        self._show_verification(result, proven=summary.prompt_proven_at is not None)

    @asyncSlot()
    async def send_test_prompt(self) -> None:
        """Open the test-prompt dialog; show the relay's state again once it closes."""
        session = self._session
        if session is None:
            return
        dialog = PromptCheckDialog(PromptCheckDialogView(self.view), session.client)
        self.prompt_dialog = dialog
        proven = await dialog.ask()
        self.prompt_dialog = None
        await self.refresh()
        if proven:
            self.view.checks.show_status("")  # Verify's list said the proof was still missing
            self._status(
                _(
                    "A test prompt proved the shortcode and passkey: the relay is ready to charge "
                    "customers."
                ),
                StatusKind.OK,
            )

    def show_unpushed(self, *_args: object) -> None:
        """Mark the form's changes that the relay does not have yet (after Save too)."""
        summary, text = self._summary, ""
        if self._session is not None and summary is not None and self._peek is not None:
            form = self._peek()
            if not summary.configured:
                text = _("Nothing on the relay yet: press Push to relay.")
            elif form is None or form.digest() != summary.credentials_digest:
                text = _(
                    "Unpushed changes: the relay still charges customers with the credentials "
                    "it holds. Press Push to relay to send this form's."
                )
        self.view.unpushed.show_status(text, StatusKind.WARNING)

    def copy_callback_url(self) -> None:
        """Put the callback URL on the clipboard."""
        url = self.view.callback_url.text()
        if url:
            QGuiApplication.clipboard().setText(url)
            self._status(_("Callback URL copied."), StatusKind.OK)

    def _show_summary(self, summary: CredentialsSummary) -> None:
        self._summary = summary
        self.view.relay_holds.setText(relay_holds_text(summary))
        self.show_unpushed()
        self.view.verified.setText(verification_text(summary))
        self.view.verified.setProperty("ok", summary.verified)
        self.view.proven.setText(proven_text(summary))
        self.view.proven.setProperty("ok", summary.prompt_proven_at is not None)
        self.view.last_test.setText(self._last_test_text(summary))
        url = summary.callback_url or ""
        self.view.callback_url.setText(url)
        self._lint(url, summary.environment)

    def _lint(self, url: str, environment: str | None) -> None:
        production = environment == Environment.PRODUCTION.value
        problems = lint_callback_url(url, production=production) if url else []
        if problems and self._local_callbacks_ok and not production:
            # The demo's simulator calls back on this PC: keep only the problems a public HTTPS
            # address with the same path would still have (compared as sentences, so in any
            # language).
            parts = urlsplit(url)
            twin = urlunsplit(("https", "relay.example", parts.path, parts.query, parts.fragment))
            still = set(lint_callback_url(twin, production=False))
            problems = [p for p in problems if p in still]
        if problems:
            problems.append(_(ASK_FOR_PUBLIC_ADDRESS))
        self.view.callback_warnings.show_status(" ".join(problems), StatusKind.WARNING)

    def show_language(self) -> None:
        """Say Verify's last answer again in the language just chosen (the relay's is English).

        The checks are Verify's alone; the status line only while it still shows Verify's
        sentence (a later Push or Copy has replaced it otherwise).
        """
        if self._verification is None or not self.view.checks.text():
            return
        result, proven = self._verification
        self._show_verification(result, proven=proven, status=self._status_is_verify)

    def _status(self, text: str, kind: StatusKind = StatusKind.NEUTRAL) -> None:
        self.view.relay_status.show_status(text, kind)
        self._status_is_verify = False

    def _show_verification(
        self, result: VerificationResult, *, proven: bool, status: bool = True
    ) -> None:
        self._verification = (result, proven)
        lines, failed = [], False
        for check in result.checks:
            if not check.ok and self._local_callbacks_ok and check.name == "callback_url":
                lines.append(f"–  {_(LOCAL_CALLBACK_NOTE)}")
                continue
            failed = failed or not check.ok
            text = check_text(check.name, check.ok, check.message)
            if not check.ok and check.name == "callback_url" and self.view.callback_warnings.text():
                text = _("The callback address does not suit Safaricom: see the warning above.")
            lines.append(f"{'✔' if check.ok else '✘'}  {text}")
        if result.success:
            lines.append(f"{'✔' if proven else '–'}  {prompt_line(proven)}")
        message = verification_message(result.status, result.message)
        message = message or _("The relay finished the test.")
        if result.success and not failed:
            message = _("The relay's test passed: Daraja accepted the consumer key and secret.")
        if status:
            self._status(message, StatusKind.OK if result.success else StatusKind.ERROR)
            self._status_is_verify = True
        self.view.checks.show_status(
            "\n".join(lines), StatusKind.WARNING if failed else StatusKind.NEUTRAL
        )

    def _last_test_text(self, summary: CredentialsSummary) -> str:
        if not summary.last_test:
            # The Test button above checks from this PC; this line is about the relay's test.
            return _("Not yet: press Verify on relay")
        status = summary.test_status or ""
        if status == "warning" and self._local_callbacks_ok:
            status = "passed"  # the only warning a demo relay gives is its local address
        when = friendly_time(summary.last_test)
        if not status:
            return when
        outcome = _(TEST_OUTCOMES[status]) if status in TEST_OUTCOMES else status
        return _("{when} · {outcome}").format(when=when, outcome=outcome)

    def _set_enabled(self, enabled: bool) -> None:
        for button in (self.view.push_button, self.view.verify_button):
            button.setEnabled(enabled)
        self.view.test_prompt_button.setEnabled(enabled)
