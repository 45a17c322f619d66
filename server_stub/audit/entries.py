"""Audit entries and the actions they name (DESIGN.md section 12).

An entry says who acted (a token's id and role, never the token itself, or "cli" on the relay
host), from which address, on which provider, what they did and a short detail that never holds
a secret. Other features add their own action names (e.g. `webhook.created`): an action is any
short dotted text, and `Action` lists the ones the relay itself writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Generic, TypeVar

from server_stub.store.records import CreatedProvider

MAX_DETAIL = 500
MAX_ACTION = 64
T = TypeVar("T")


class Action(StrEnum):
    """The changes the relay records."""

    PROVIDER_CREATED = "provider.created"
    PROVIDER_DISABLED = "provider.disabled"
    PROVIDER_ENABLED = "provider.enabled"
    PUSH_LIMIT_CHANGED = "provider.push_limit_changed"
    CREDENTIALS_SAVED = "credentials.saved"
    CREDENTIALS_TESTED = "credentials.tested"
    TOKEN_ISSUED = "token.issued"  # noqa: S105 - an action name, not a secret
    TOKEN_RENAMED = "token.renamed"  # noqa: S105
    TOKEN_REVOKED = "token.revoked"  # noqa: S105
    ADMIN_CREATED = "admin.created"
    PLAN_CREATED = "plan.created"
    PLAN_CHANGED = "plan.changed"
    PLAN_REMOVED = "plan.removed"
    VOUCHERS_IMPORTED = "plan.vouchers_imported"
    ACCESS_SETTINGS_CHANGED = "access_settings.changed"
    WEBHOOK_ADDED = "webhook.added"
    WEBHOOK_CHANGED = "webhook.changed"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 - an action name
    KEYS_ROTATED = "relay.keys_rotated"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a token (by id and role) from an address, or the relay host's CLI."""

    token_id: int | None
    name: str
    role: str
    address: str


# The operator's commands run on the relay host itself, with no token.
CLI_ACTOR = Actor(token_id=None, name="cli", role="cli", address="relay host")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log (`id` is 0 until it is stored)."""

    at: float
    actor: Actor
    provider_id: int | None
    action: str
    detail: str = ""
    id: int = 0

    def trimmed(self) -> AuditEntry:
        """The entry with its action and detail cut to the stored sizes."""
        return AuditEntry(
            at=self.at,
            actor=self.actor,
            provider_id=self.provider_id,
            action=self.action[:MAX_ACTION],
            detail=self.detail[:MAX_DETAIL],
            id=self.id,
        )


@dataclass(frozen=True, slots=True)
class Audit(Generic[T]):
    """The entry an audited change writes in its own transaction.

    Given to a store write as `audit=`: the store inserts the entry after the change, inside the
    same savepoint of the same commit, so the change and its entry are stored together or not
    at all (a crash, or a failed insert, can never keep one without the other). A write whose
    result says it changed nothing (None or False) stores no entry. `detail` and `provider_id`
    may be functions of the write's result, for what only the change knows (a new row's id).
    """

    at: float
    actor: Actor
    action: str
    detail: str | Callable[[T], str] = ""
    provider_id: int | Callable[[T], int | None] | None = None

    def with_detail(self, detail: str | Callable[[T], str]) -> Audit[T]:
        """This entry with the detail a service knows (the route knows only who and what)."""
        return replace(self, detail=detail)

    def entry(self, result: T) -> AuditEntry:
        """The entry for a change that returned `result`."""
        detail = self.detail(result) if callable(self.detail) else self.detail
        provider_id = self.provider_id(result) if callable(self.provider_id) else self.provider_id
        return AuditEntry(
            at=self.at, actor=self.actor, provider_id=provider_id, action=self.action, detail=detail
        )


def cli_audit(
    provider_id: int | Callable[[T], int | None] | None,
    action: str,
    detail: str | Callable[[T], str] = "",
) -> Audit[T]:
    """The audit of a change made by an operator's command on the relay host."""
    return Audit(
        at=time.time(), actor=CLI_ACTOR, action=action, detail=detail, provider_id=provider_id
    )


def provider_created_detail(name: str, made: CreatedProvider) -> str:
    """What the entry of a provider created with an owner and an attendant token says."""
    owner, attendant = made.token_ids
    return f"“{name}” with owner token {owner} and attendant token {attendant}"
