"""What the Webhooks page says about endpoints and deliveries."""

from __future__ import annotations

from bucket_desktop.services.webhooks.models import DeliveryEntry, WebhookEndpoint
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.webhooks import texts


def _endpoint(**changes: object) -> WebhookEndpoint:
    base: dict[str, object] = {
        "id": 1,
        "url": "https://portal.example/h",
        "description": "",
        "events": ("payment.confirmed", "access.issued"),
        "enabled": True,
        "disabled_reason": None,
        "old_secret_valid_until": None,
        "failing_since": None,
        "last_success_at": None,
    }
    return WebhookEndpoint(**{**base, **changes})  # type: ignore[arg-type]


def _entry(**changes: object) -> DeliveryEntry:
    base: dict[str, object] = {
        "delivery_id": 1,
        "event_id": "evt_1",
        "event": "payment.paid",
        "state": "failed",
        "attempt": 1,
        "status_code": 500,
        "duration_ms": 1500,
        "at": "2026-11-30T07:00:00.000+00:00",
        "next_try_at": "2026-11-30T07:00:05.000+00:00",
        "error": None,
        "response_body": "database\nis   locked",
    }
    return DeliveryEntry(**{**base, **changes})  # type: ignore[arg-type]


def test_an_endpoint_turned_off_says_why_and_a_failing_one_says_since_when() -> None:
    off = _endpoint(enabled=False, disabled_reason="The receiver answered 410 Gone.")
    assert texts.state_text(off) == "Off: The receiver answered 410 Gone."
    notice, kind = texts.endpoint_notice(off)
    assert "410 Gone" in notice and kind is StatusKind.ERROR
    failing = _endpoint(failing_since="2026-11-30T07:00:00.000+00:00")
    assert texts.state_text(failing).startswith("On, failing since 30 Nov 2026")
    assert texts.endpoint_notice(failing)[1] is StatusKind.WARNING
    assert texts.events_text(failing) == "confirmed, code issued"


def test_each_attempt_says_what_the_receiver_answered_and_what_comes_next() -> None:
    failed = _entry()
    assert texts.answer_text(failed) == "HTTP 500" and texts.took_text(failed) == "1.5 s"
    assert texts.said_text(failed) == "database is locked"
    assert texts.next_text(failed) != "Delivered"
    ok = _entry(status_code=204, next_try_at=None, state="delivered", duration_ms=12)
    assert texts.next_text(ok) == "Delivered" and texts.took_text(ok) == "12 ms"
    silent = _entry(status_code=None, error="No answer within 10 seconds.", state="exhausted",
                    next_try_at=None)  # fmt: skip
    assert texts.answer_text(silent) == "No answer"
    assert texts.next_text(silent) == "Gave up: use Redeliver"
    waiting = _entry(attempt=0, status_code=None, duration_ms=None, state="pending")
    assert texts.answer_text(waiting) == "Waiting" and texts.took_text(waiting) == "—"
    assert len(texts.said_text(_entry(response_body="x" * 1024))) == texts.BODY_SHOWN
