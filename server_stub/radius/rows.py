"""The FreeRADIUS rows of one access: what the router is told at login (ACTIVATION.md A.1, 4).

- radcheck: the password (the code itself, so CHAP logins work), `Expiration` (wall-clock
  validity: FreeRADIUS rejects after it and cuts `Session-Timeout` down to what is left),
  `Simultaneous-Use := 1` (one device per code), and `NAS-Identifier == "pb-<provider>"`, a
  condition, so one provider's code never logs in at another provider's hotspot.
- radreply: `Session-Timeout` (the plan's duration) and `Mikrotik-Rate-Limit` (the plan's speed).
- radusergroup: the group `pb_<provider>_<plan>`, so the operator can find or act on every user
  of a plan. The sold terms stay on the user's own rows: editing a plan never changes them.

`Max-All-Session` is not used: time is wall-clock (DESIGN.md section 13), and that attribute
only works with a sqlcounter module configured outside the relay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server_stub.store.records import DeliveryTerms

Row = tuple[str, str, str]  # attribute, operator, value


@dataclass(frozen=True, slots=True)
class RadiusUser:
    """Everything written for one access code."""

    username: str
    nas_identifier: str
    check: tuple[Row, ...] = field(repr=False)
    reply: tuple[Row, ...]
    group: str


def nas_identifier(provider_id: int) -> str:
    """What the provider's routers send as NAS-Identifier (their `/system identity`)."""
    return f"pb-{provider_id}"


def group_name(provider_id: int, plan_id: int | None) -> str:
    """The FreeRADIUS group of a plan's users."""
    return f"pb_{provider_id}_{plan_id if plan_id is not None else 'none'}"


def radius_user(terms: DeliveryTerms) -> RadiusUser:
    """The rows that let `terms.code` log in, as sold."""
    nas = nas_identifier(terms.provider_id)
    check: tuple[Row, ...] = (
        ("Cleartext-Password", ":=", terms.code),
        # Seconds since the epoch: no time zone to get wrong between the relay and FreeRADIUS.
        ("Expiration", ":=", str(int(terms.expires_at))),
        ("Simultaneous-Use", ":=", "1"),
        ("NAS-Identifier", "==", nas),
    )
    reply: list[Row] = [("Session-Timeout", ":=", str(terms.duration_minutes * 60))]
    if terms.speed:
        # The plan's speed is upload/download, which is RouterOS's rx/tx seen from the router.
        reply.append(("Mikrotik-Rate-Limit", ":=", terms.speed))
    return RadiusUser(
        username=terms.code,
        nas_identifier=nas,
        check=check,
        reply=tuple(reply),
        group=group_name(terms.provider_id, terms.plan_id),
    )
