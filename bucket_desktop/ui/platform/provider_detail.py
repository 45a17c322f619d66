"""What the Platform page shows of the chosen provider: its facts, tokens and recent changes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from bucket_desktop.services.platform.models import AuditEntry, ProviderHealth, ProviderToken
from bucket_desktop.ui.platform.providers_model import ago
from bucket_desktop.ui.relay_texts import friendly_time

ROLE_WORDS = {"owner": "Owner", "attendant": "Attendant"}


def title_text(provider: ProviderHealth | None) -> str:
    """The detail's heading."""
    return f"{provider.name}  #{provider.id}" if provider else "Choose a provider"


def facts_text(provider: ProviderHealth) -> str:
    """Created, the credentials' last test, the last callback, and what needs attention."""
    test = (
        f"last test {friendly_time(provider.last_test_at)}: {provider.last_test_status}"
        if provider.last_test_at
        else "never tested"
    )
    state = "Disabled: its desks cannot send prompts. " if provider.disabled else ""
    attention = provider.attention_text()
    return (
        f"{state}Created {friendly_time(provider.created_at)} · credentials {test} · last "
        f"callback {ago(provider.last_callback_at)}."
        + (f"\nNeeds attention: {attention}." if attention else "")
    )


def token_rows(tokens: list[ProviderToken]) -> list[tuple[str, ...]]:
    """Name, role, last used, from where."""
    return [
        (
            token.name,
            ROLE_WORDS.get(token.role, token.role),
            friendly_time(token.last_used_at) if token.last_used_at else "Never",
            token.last_address or "—",
        )
        for token in tokens
    ]


def audit_rows(entries: list[AuditEntry]) -> list[tuple[str, ...]]:
    """When, who, from where, the change and its detail."""
    return [
        (friendly_time(e.at), _who(e.actor, e.role), e.address, e.action, e.detail) for e in entries
    ]


def fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    """Replace a table's rows with read-only cells."""
    table.clearSelection()
    table.setRowCount(len(rows))
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            table.setItem(row, column, item)
    table.resizeColumnsToContents()


def _who(actor: str, role: str) -> str:
    """'Mary (owner)'; the relay host's commands are just 'cli'."""
    return actor if actor == role else f"{actor} ({role})"
