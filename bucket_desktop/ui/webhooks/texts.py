"""Words the Webhooks page shows for endpoints and deliveries."""

from __future__ import annotations

from datetime import datetime

from bucket_desktop.i18n import _
from bucket_desktop.i18n.formatting import format_day
from bucket_desktop.services.webhooks.models import EVENT_SHORT, DeliveryEntry, WebhookEndpoint
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.settings.relay_texts import friendly_time

BODY_SHOWN = 120


def log_time(iso: str | None) -> str:
    """'30 Nov 14:02:07' in this PC's time zone, '—' for none."""
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    local = moment.astimezone()
    return f"{format_day(local)} {local:%H:%M:%S}"


def events_text(endpoint: WebhookEndpoint) -> str:
    """The chosen events, in short words."""
    return ", ".join(_(EVENT_SHORT.get(event, event)) for event in endpoint.events)


def state_text(endpoint: WebhookEndpoint) -> str:
    """On, failing, or off with the reason."""
    if not endpoint.enabled:
        return (
            _("Off: {reason}").format(reason=endpoint.disabled_reason)
            if endpoint.disabled_reason
            else _("Off")
        )
    if endpoint.failing_since:
        return _("On, failing since {time}").format(time=friendly_time(endpoint.failing_since))
    return _("On")


def endpoint_notice(endpoint: WebhookEndpoint) -> tuple[str, StatusKind]:
    """The line above the delivery log about the chosen endpoint."""
    if not endpoint.enabled:
        reason = endpoint.disabled_reason or _("Disabled.")
        return _("Disabled: {reason} Nothing is sent until you enable it.").format(
            reason=reason
        ), StatusKind.ERROR
    if endpoint.failing_since:
        return (
            _(
                "No call has succeeded since {time}; the relay keeps trying. "
                "After 3 days without success it switches this endpoint off."
            ).format(time=friendly_time(endpoint.failing_since)),
            StatusKind.WARNING,
        )
    if endpoint.old_secret_valid_until:
        return (
            _("The old secret also signs until {time}.").format(
                time=friendly_time(endpoint.old_secret_valid_until)
            ),
            StatusKind.NEUTRAL,
        )
    return "", StatusKind.NEUTRAL


def answer_text(entry: DeliveryEntry) -> str:
    """The receiver's HTTP status, or what happened instead."""
    if entry.attempt == 0:
        return _("Waiting")
    if entry.status_code is None:
        return _("No answer")
    return _("HTTP {code}").format(code=entry.status_code)


def took_text(entry: DeliveryEntry) -> str:
    """How long the call took."""
    if entry.duration_ms is None:
        return "—"
    if entry.duration_ms >= 1000:
        return f"{entry.duration_ms / 1000:.1f} s"
    return _("{count} ms").format(count=entry.duration_ms)


def next_text(entry: DeliveryEntry) -> str:
    """After this attempt: delivered, when it was to be tried again, or given up."""
    if entry.status_code is not None and 200 <= entry.status_code < 300:
        return _("Delivered")
    if entry.next_try_at:
        return log_time(entry.next_try_at)
    if entry.attempt and entry.state == "exhausted":
        return _("Gave up: use Redeliver")
    return "—"


def said_text(entry: DeliveryEntry) -> str:
    """The error, or the start of the receiver's answer, on one line."""
    text = entry.error or entry.response_body
    line = " ".join(text.split())
    return line if len(line) <= BODY_SHOWN else line[: BODY_SHOWN - 1] + "…"
