"""What the Platform page shows of the chosen provider: its facts, tokens and recent changes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.platform.models import AuditEntry, ProviderHealth, ProviderToken
from bucket_desktop.ui.platform.providers_model import ago
from bucket_desktop.ui.settings.relay_texts import friendly_time

ROLE_WORDS = {"owner": N_("Owner"), "attendant": N_("Attendant")}


def role_word(role: str) -> str:
    """The token role in the person's language; an unknown role as the relay names it."""
    return _(ROLE_WORDS[role]) if role in ROLE_WORDS else role


def title_text(provider: ProviderHealth | None) -> str:
    """The detail's heading."""
    return f"{provider.name}  #{provider.id}" if provider else _("Choose a provider")


def facts_text(provider: ProviderHealth) -> str:
    """Created, the credentials' last test, the last callback, and what needs attention."""
    test = (
        _("last test {time}: {status}").format(
            time=friendly_time(provider.last_test_at), status=provider.last_test_status
        )
        if provider.last_test_at
        else _("never tested")
    )
    facts = _("Created {created} · credentials {test} · last callback {callback}.").format(
        created=friendly_time(provider.created_at),
        test=test,
        callback=ago(provider.last_callback_at),
    )
    lines = [facts]
    if provider.disabled:
        lines[0] = _("Disabled: its desks cannot send prompts. {facts}").format(facts=facts)
    attention = provider.attention_text()
    if attention:
        lines.append(_("Needs attention: {attention}.").format(attention=attention))
    return "\n".join(lines)


def token_rows(tokens: list[ProviderToken]) -> list[tuple[str, ...]]:
    """Name, role, last used, from where."""
    return [
        (
            token.name,
            role_word(token.role),
            friendly_time(token.last_used_at) if token.last_used_at else _("Never"),
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
