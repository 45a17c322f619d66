"""Filling the Webhooks page's two tables and the line above the delivery log."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from bucket_desktop.i18n import _
from bucket_desktop.services.webhooks.models import EVENT_SHORT, DeliveryEntry, WebhookEndpoint
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.settings.relay_texts import friendly_time
from bucket_desktop.ui.webhooks import texts
from bucket_desktop.ui.webhooks.page_view import WebhooksPageView


def fill_endpoints(view: WebhooksPageView, endpoints: list[WebhookEndpoint]) -> None:
    """One row per endpoint: address, events, state (with why it is off), last success."""
    table = view.endpoints
    table.clearSelection()
    table.setRowCount(len(endpoints))
    for row, endpoint in enumerate(endpoints):
        cells = (
            endpoint.url,
            texts.events_text(endpoint),
            texts.state_text(endpoint),
            friendly_time(endpoint.last_success_at) if endpoint.last_success_at else _("Never"),
        )
        parts = (endpoint.description, endpoint.url, ", ".join(endpoint.events))
        _fill_row(table, row, cells, tooltip="\n".join(part for part in parts if part))


def fill_log(
    view: WebhooksPageView, endpoint: WebhookEndpoint | None, entries: list[DeliveryEntry]
) -> None:
    """The chosen endpoint's attempts, newest first, and the line about its state."""
    view.log_title.setText(
        _("Deliveries to {url}").format(url=endpoint.url) if endpoint else _("Deliveries")
    )
    notice, kind = texts.endpoint_notice(endpoint) if endpoint else ("", StatusKind.NEUTRAL)
    if endpoint is not None and not entries and not notice:
        notice = _("Nothing sent yet: “Send test” sends a signed test event.")
    view.endpoint_state.show_status(notice, kind)
    view.toggle_button.setText(_("Enable") if endpoint and not endpoint.enabled else _("Disable"))
    table = view.log
    table.setRowCount(len(entries))
    for row, entry in enumerate(entries):
        cells = (
            texts.log_time(entry.at),
            _(EVENT_SHORT.get(entry.event, entry.event)),
            texts.answer_text(entry),
            texts.took_text(entry),
            str(entry.attempt) if entry.attempt else "—",
            texts.next_text(entry),
            texts.said_text(entry),
        )
        tooltip = f"{entry.event} {entry.event_id}\n{entry.error or entry.response_body}"
        _fill_row(table, row, cells, tooltip=tooltip.strip())


def _fill_row(table: QTableWidget, row: int, cells: tuple[str, ...], *, tooltip: str) -> None:
    for column, text in enumerate(cells):
        item = QTableWidgetItem(text)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        item.setToolTip(tooltip)
        table.setItem(row, column, item)
