"""Charge customer controller: live checks as the attendant types, then one STK push."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QPushButton

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.payment_rows import format_phone
from bucket_desktop.services.plans import Plan, PlanStore
from bucket_desktop.services.pushes import PushForm, start_push
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.ui.charge.charge_fields import ChargeFields
from bucket_desktop.ui.charge.charge_page_view import ChargePageView
from bucket_desktop.ui.common.counter_common import (
    OUTCOME_UNKNOWN_CODES,
    refusal_sentence,
    set_kind,
)
from bucket_desktop.ui.common.counter_tasks import TaskSet
from bucket_desktop.ui.common.live_payments import LivePayments
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.shared_plans.plans_dialog import PlansDialog, PlansDialogView

# Asks the attendant a yes/no question: (title, sentence) -> True to go ahead.
Confirm = Callable[[str, str], bool]

GUIDE = N_(
    "<p>1. Type the customer's phone number and pick a plan.</p>"
    "<p>2. Press <b>Enter</b> or <b>Send payment prompt</b>. The customer's phone shows an "
    "M-PESA prompt for the amount.</p>"
    "<p>3. The customer enters their PIN. The <b>STK status</b> page follows the prompt and "
    "shows the M-PESA receipt when the money has arrived.</p>"
    "<p>Give access only after the status says <b>Paid</b>.</p>"
)


class ChargePage(QObject):
    """Wires the Charge customer view to the relay; `push_sent` carries the checkout ID."""

    push_sent = Signal(str)

    def __init__(
        self,
        view: ChargePageView,
        live: LivePayments,
        plans: Sequence[Plan],
        *,
        confirm: Confirm,
        demo_phones: Sequence[tuple[str, str]] = (),
        plan_store: PlanStore | None = None,
    ) -> None:
        super().__init__()
        self.view = view
        self._live = live
        self._confirm = confirm
        self._plan_store = plan_store
        self._plans_dialog: PlansDialog | None = None
        # Set when the plans live on the relay: Edit plans opens that editor instead.
        self.plans_editor: Callable[[], object] | None = None
        self._tasks = TaskSet()
        self._in_flight = False
        self.plans: tuple[Plan, ...] = ()
        self._plan_buttons: list[tuple[Plan, QPushButton]] = []
        self.show_plans(plans)
        view.guide.setText(_(GUIDE) + _demo_table(demo_phones))
        view.edit_plans_button.hide()
        view.edit_plans_button.clicked.connect(self.edit_plans)
        self._fields = ChargeFields(view)
        view.amount_edit.textChanged.connect(self._mark_plan)
        view.reference_edit.textChanged.connect(self._mark_plan)
        view.amount_edit.textEdited.connect(self._amount_edited)
        for edit in (view.phone_edit, view.amount_edit, view.reference_edit, view.desc_edit):
            edit.returnPressed.connect(self.send)
            edit.textEdited.connect(self._form_edited)
        view.send_button.clicked.connect(self.send)

    def set_can_edit_plans(self, allowed: bool) -> None:
        """Show Edit plans to the owner only."""
        editable = self._plan_store is not None or self.plans_editor is not None
        self.view.edit_plans_button.setVisible(allowed and editable)

    def edit_plans(self) -> object:
        """Open the plan editor (window-modal; the feed keeps running meanwhile)."""
        if self.plans_editor is not None:
            return self.plans_editor()
        if self._plan_store is None:
            return None
        view = PlansDialogView(self.view)
        dialog = PlansDialog(view, self._plan_store, self.plans)
        view.finished.connect(lambda _result: self._plans_edited(dialog))
        self._plans_dialog = dialog
        view.open()
        return dialog

    def _plans_edited(self, dialog: PlansDialog) -> None:
        if dialog.saved is not None:
            self.show_plans(dialog.saved)
            self.view.status.show_status(_("The plans were saved."), StatusKind.OK)
        dialog.view.deleteLater()
        self._plans_dialog = None

    def show_plans(self, plans: Sequence[Plan]) -> None:
        """Replace the preset buttons."""
        self.plans = tuple(plans)
        layout = self.view.plans_layout
        for _plan, button in self._plan_buttons:
            layout.removeWidget(button)
            button.deleteLater()
        self._plan_buttons = []
        for plan in plans:
            button = self.view.plan_button(plan.label)
            button.setCheckable(True)
            button.clicked.connect(lambda _checked=False, chosen=plan: self.use_plan(chosen))
            button.clicked.connect(self._form_edited)
            self._plan_buttons.append((plan, button))
        self.view.chain_tab_order([button for _plan, button in self._plan_buttons])
        self._mark_plan()

    def _mark_plan(self) -> None:
        """Highlight the plan the amount and reference match, if any."""
        amount = self.view.amount_edit.text().strip()
        reference = self.view.reference_edit.text().strip()
        for plan, button in self._plan_buttons:
            button.setChecked(str(plan.amount) == amount and plan.account_reference == reference)

    def _form_edited(self) -> None:
        """A message about the last send belongs to that send: the next payment starts here.

        A warning stays (the outcome of a push is unknown: the attendant must look first).
        """
        if self.view.status.kind not in (StatusKind.WARNING, StatusKind.WORKING):
            self.view.status.show_status("")

    def _amount_edited(self, text: str) -> None:
        """A custom amount must not go out under a plan's reference and description."""
        plan = next(
            (p for p in self.plans if p.account_reference == self.view.reference_edit.text()),
            None,
        )
        if plan is not None and text.strip() != str(plan.amount):
            self.view.reference_edit.clear()
            if self.view.desc_edit.text() == plan.transaction_desc:
                self.view.desc_edit.clear()

    def use_plan(self, plan: Plan) -> None:
        """Fill amount, reference and description from a preset."""
        self.view.amount_edit.setText(str(plan.amount))
        self.view.reference_edit.setText(plan.account_reference)
        self.view.desc_edit.setText(plan.transaction_desc)
        # A click toggles the tile; the fields decide which one is marked.
        self._mark_plan()
        self.view.phone_edit.setFocus()

    @Slot()
    def send(self) -> None:
        """Check the form, confirm a second push to a busy phone, then ask the relay to push.

        The questions come first, outside any task: a modal dialog inside a running asyncio
        task would let qasync step other tasks from the dialog's nested event loop.
        """
        if self._in_flight:
            return
        form = self._read_form()
        client = self._live.client
        if form is None:
            return
        if client is None:
            self.view.status.show_status(
                _("Not connected to a relay: sign in before charging customers."), StatusKind.ERROR
            )
            return
        if not self._second_push_confirmed(form.phone_number):
            self.view.status.show_status(_("Nothing was sent."), StatusKind.NEUTRAL)
            return
        self._set_in_flight(True)
        self._tasks.start(self._push(client, form))

    async def _push(self, client: RelayClient, form: PushForm) -> None:
        phone = format_phone(form.phone_number)
        sent_text = self.view.phone_edit.text()
        self.view.status.show_status(
            _("Sending the prompt to {phone}…").format(phone=phone), StatusKind.WORKING
        )
        try:
            pending = await start_push(client, form)
        except RelayError as error:
            self._show_refusal(error)
            return
        finally:
            self._set_in_flight(False)
        followed = client is self._live.client  # else signed out meanwhile: another book
        if followed:
            self._live.add_local(pending)
        self.view.status.show_status(
            _("Prompt sent to {phone}: ask the customer to enter their M-PESA PIN.").format(
                phone=phone
            ),
            StatusKind.OK,
        )
        # The field is emptied for the next customer, unless the attendant has already typed
        # the next number while the relay was answering (seconds on a slow link).
        if self.view.phone_edit.text() == sent_text:
            self.view.phone_edit.clear()
            self.view.phone_edit.setFocus()
        if followed:
            self.push_sent.emit(pending.checkout_request_id)

    async def close(self) -> None:
        """Cancel a push request still running (the window is closing)."""
        await self._tasks.cancel_all()

    def _second_push_confirmed(self, phone: str) -> bool:
        waiting = self._live.book.pending_for_phone(phone)
        if waiting is None:
            return True
        return self._confirm(
            _("Send another prompt?"),
            _(
                "A prompt sent to {phone} is still waiting for the customer's "
                "PIN. Sending another one may cancel it or charge the customer twice. "
                "Send anyway?"
            ).format(phone=format_phone(phone)),
        )

    def _set_in_flight(self, in_flight: bool) -> None:
        self._in_flight = in_flight
        self.view.send_button.setEnabled(not in_flight)
        self.view.send_button.setText(_("Sending…") if in_flight else _("Send payment prompt"))

    def _show_refusal(self, error: RelayError) -> None:
        hints = {
            "phone_number": self.view.phone_hint,
            "amount": self.view.amount_hint,
            "account_reference": self.view.reference_hint,
            "transaction_desc": self.view.desc_hint,
        }
        hint = hints.get(error.field or "")
        if hint is not None:
            set_kind(hint, refusal_sentence(error), "error")
        kind = StatusKind.WARNING if error.code in OUTCOME_UNKNOWN_CODES else StatusKind.ERROR
        self.view.status.show_status(refusal_sentence(error), kind)

    def _read_form(self) -> PushForm | None:
        """The checked values, or None after showing every problem beside its field."""
        checked = self._fields.read()
        if checked is None:
            self.view.status.show_status(
                _("Fix the fields marked in red, then send again."), StatusKind.ERROR
            )
            return None
        phone, amount, reference, desc = checked
        return PushForm(phone, amount, reference, desc, self._relay_plan_id(amount, reference))

    def _relay_plan_id(self, amount: int, reference: str) -> int | None:
        """The relay plan the form was filled from (its terms then go with the payment)."""
        desc = self.view.desc_edit.text().strip()
        for plan in self.plans:
            if plan.plan_id is not None and (plan.amount, plan.account_reference) == (
                amount,
                reference,
            ):
                return plan.plan_id if plan.transaction_desc == desc else None
        return None


def _demo_table(phones: Sequence[tuple[str, str]]) -> str:
    if not phones:
        return ""
    # One short paragraph per phone, not a table: a QLabel does not wrap table cells, and the
    # outcomes are longer in Kiswahili than the card is wide at 1024x600.
    lines = "".join(
        f"<p style='margin:2px 0'><span style='white-space:nowrap'>"
        f"<b>{escape(format_phone(p))}</b></span> \u2014 {escape(s)}</p>"
        for p, s in phones
    )
    title = escape(_("Demo phone numbers"))
    return f"<p style='margin-top:10px'><b>{title}</b></p>{lines}"
