"""How long the customer's phone still shows the prompt: a bar and a sentence, once a second.

An attendant who sees the time run out knows to stop waiting at the counter; after it, the
answer comes from M-PESA's final word, which the relay fetches on its own.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from bucket_desktop.i18n import _
from bucket_desktop.services.payment_rows import PaymentRow
from bucket_desktop.ui.stk_status.stk_status_page_view import StkStatusPageView


class PromptCountdown:
    """Counts down the shown prompt's lifetime while it is pending; hidden otherwise."""

    def __init__(
        self,
        view: StkStatusPageView,
        parent: QObject,
        *,
        lifetime_s: float,
        clock: Callable[[], float],
    ) -> None:
        self.view = view
        self._lifetime = lifetime_s
        self._clock = clock
        self._row: PaymentRow | None = None
        self._ticker = QTimer(parent)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)

    def show(self, row: PaymentRow | None) -> None:
        """Follow this prompt (None: no prompt shown)."""
        self._row = row
        pending = row is not None and row.is_pending
        self.view.countdown.setVisible(pending)
        self.view.countdown_label.setVisible(pending)
        if pending:
            self._ticker.start()
            self._tick()
        else:
            self._ticker.stop()

    def stop(self) -> None:
        """Stop ticking (the window is closing)."""
        self._ticker.stop()

    def _tick(self) -> None:
        row = self._row
        if row is None or not row.is_pending:
            self._ticker.stop()
            return
        left = max(0.0, row.created + self._lifetime - self._clock())
        self.view.countdown.setRange(0, int(self._lifetime))
        self.view.countdown.setValue(int(left))
        if left > 0:
            minutes, seconds = divmod(int(left + 0.999), 60)
            text = _(
                "The prompt closes on the customer's phone in about {minutes}:{seconds:02d}."
            ).format(minutes=minutes, seconds=seconds)
        else:
            text = _(
                "The prompt has closed on the phone. Waiting for M-PESA's final answer: "
                "the relay asks on its own, or press Check now."
            )
        self.view.countdown_label.setText(text)
