"""Small helpers shared by the counter pages: coloured labels and relay refusals in words."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QLabel

from bucket_desktop.i18n import _
from bucket_desktop.services.relay_errors import RelayError

# Relay error codes after which the prompt may still have reached the phone.
OUTCOME_UNKNOWN_CODES = frozenset({"daraja_unavailable", "timeout"})


def set_kind(label: QLabel, text: str, kind: str) -> None:
    """Show `text` in a label coloured by its `kind` property (see the page style)."""
    label.setText(text)
    label.setProperty("kind", kind)
    label.style().unpolish(label)
    label.style().polish(label)


def refusal_sentence(error: RelayError) -> str:
    """What the attendant reads when the relay did not start a push."""
    if error.code in OUTCOME_UNKNOWN_CODES:
        # Unclear whether the prompt went out: the relay's sentence says what to expect.
        return str(error)
    if error.code == "duplicate_push":
        wait = re.search(r"(\d+) seconds", str(error))
        if wait is None:
            return _(
                "The prompt was not sent: a prompt went to this phone less than a minute "
                "ago. Try again in a minute."
            )
        return _(
            "The prompt was not sent: a prompt went to this phone less than a minute "
            "ago. Try again in {seconds} seconds."
        ).format(seconds=wait.group(1))
    return _("The prompt was not sent. {error}").format(error=error)
