"""The owner's test prompt: the honest check of shortcode and passkey (Daraja checks them on an
STK push and nowhere else), with its outcome in words while the owner holds the phone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from qasync import asyncSlot

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.mpesa_rules import PaymentStatus, RuleError, normalise_phone
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.services.relay_models import PaymentItem
from bucket_desktop.ui.common.dialog_helpers import run_dialog
from bucket_desktop.ui.common.widgets import StatusKind, busy
from bucket_desktop.ui.settings.prompt_check_dialog_view import PromptCheckDialogView

POLL_EVERY_S = 2.0
WATCH_FOR_S = 150.0  # a prompt lives about 60-90 s on the phone; then the relay settles it
PROVEN = N_("The test passed: Daraja accepted the shortcode and passkey.")


class PromptCheckDialog:
    """Sends the test prompt through the relay and follows it to its end."""

    def __init__(
        self,
        view: PromptCheckDialogView,
        client: RelayClient,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.view = view
        self._client = client
        self._sleep = sleep
        self.proven = False
        self._closed = False
        view.send_button.clicked.connect(self.send)
        view.close_button.clicked.connect(view.reject)
        view.finished.connect(self._on_finished)

    async def ask(self) -> bool:
        """Show the dialog until closed; True when a prompt proved the credentials."""
        await run_dialog(self.view)
        return self.proven

    @asyncSlot()
    async def send(self) -> None:
        """Send the prompt; Daraja accepting it is the proof, the phone's answer the outcome."""
        view = self.view
        try:
            phone = normalise_phone(view.phone.text())
        except RuleError as error:
            view.status.show_status(error.message, StatusKind.ERROR)
            return
        view.outcome.show_status("")
        view.status.show_status(_("Asking Safaricom to send the prompt…"), StatusKind.WORKING)
        with busy(view.send_button, view.phone, view.amount):
            try:
                push = await self._client.test_prompt(phone, view.amount.value())
            except RelayError as error:
                view.status.show_status(
                    _("The test did not pass: {error}").format(error=error), StatusKind.ERROR
                )
                return
            self.proven = True
            view.status.show_status(_(PROVEN), StatusKind.OK)
            view.outcome.show_status(
                _("Look at your phone: the prompt should arrive within a few seconds."),
                StatusKind.WORKING,
            )
            await self._follow(push.checkout_request_id)

    async def _follow(self, checkout_request_id: str) -> None:
        waited = 0.0
        while not self._closed and waited < WATCH_FOR_S:
            await self._sleep(POLL_EVERY_S)
            waited += POLL_EVERY_S
            try:
                payment = await self._client.status(checkout_request_id)
            except RelayError:
                continue  # the proof stands; the phone's answer is only the outcome
            if payment.status != PaymentStatus.PENDING.value:
                self.view.outcome.show_status(outcome_sentence(payment), StatusKind.NEUTRAL)
                return
        if not self._closed:
            self.view.outcome.show_status(
                _("No answer from the phone yet. The test has passed all the same."),
                StatusKind.NEUTRAL,
            )

    def _on_finished(self, _result: int) -> None:
        self._closed = True


def outcome_sentence(payment: PaymentItem) -> str:
    """What the phone did with the test prompt, in words."""
    status = payment.status
    if status == PaymentStatus.PAID.value:
        if not payment.mpesa_receipt_number:
            return _(
                "You paid KES {amount}: it went to your own account and is not counted as a sale."
            ).format(amount=payment.amount)
        return _(
            "You paid KES {amount} (receipt {receipt}): it went to your own account and is not "
            "counted as a sale."
        ).format(amount=payment.amount, receipt=payment.mpesa_receipt_number)
    if status == PaymentStatus.CANCELLED.value:
        return _("You cancelled the prompt on the phone, so nothing was charged.")
    if status == PaymentStatus.EXPIRED.value:
        return _("The prompt was not answered in time, so nothing was charged.")
    reason = payment.result_desc or _("no reason given")
    return _("The phone did not complete the prompt ({reason}), so nothing was charged.").format(
        reason=reason
    )
