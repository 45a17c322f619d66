"""Make, verify and remove one access's hotspot user on the router.

The user is named after the access code and tagged `comment=pb:<access id>`. "already have user
with this name" is never taken as success blindly: the user is read back and must carry our
tag (a retry after a crash between the router's add and the report finds it so); a user of the
same name without it belongs to someone else and is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from librouteros.api import AsyncApi
from librouteros.exceptions import MultiTrapError, TrapError
from librouteros.query import Key

from bucket_desktop.i18n import N_
from bucket_desktop.services.mikrotik.router_api import RouterRefused, trap_text

DUPLICATE = "already have user"


@dataclass(frozen=True, slots=True)
class HotspotUser:
    """What the router should hold for one access."""

    access_id: int
    name: str
    password: str = field(repr=False)
    profile: str
    limit_uptime_s: int | None
    limit_bytes_total: int | None

    @property
    def tag(self) -> str:
        """The comment that marks the user as made for this access."""
        return f"pb:{self.access_id}"

    def fields(self) -> dict[str, str]:
        """The user's fields as RouterOS API words."""
        words = {
            "name": self.name,
            "password": self.password,
            "profile": self.profile,
            "comment": self.tag,
        }
        if self.limit_uptime_s:
            words["limit-uptime"] = routeros_duration(self.limit_uptime_s)
        if self.limit_bytes_total:
            words["limit-bytes-total"] = str(self.limit_bytes_total)
        return words


def routeros_duration(seconds: int) -> str:
    """Seconds as RouterOS writes a time: `1d02:00:00`, `01:00:00`."""
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    text = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{days}d{text}" if days else text


async def ensure_user(api: AsyncApi, user: HotspotUser) -> None:
    """Add the user, or verify and update the one a previous attempt made."""
    users = api.path("ip", "hotspot", "user")
    try:
        await users.add(**user.fields())
        return
    except (TrapError, MultiTrapError) as error:
        text = trap_text(error)
        if DUPLICATE not in text:
            raise _refusal(user, text) from None
    found = await _find(api, user.name)
    if found is None:  # removed between the add and the read: a plain retry will add it
        raise RouterRefused.said(
            N_("The hotspot user {name} vanished while it was checked."), name=user.name
        )
    row_id, comment = found
    if comment != user.tag:
        raise RouterRefused.said(
            N_(
                "The router already has a hotspot user named {name} that this app did not "
                "make for this payment (comment {comment!r}); remove or rename it on the "
                "router, then retry."
            ),
            name=user.name,
            comment=comment,
        )
    try:
        await users.update(**{".id": row_id, **user.fields()})
    except (TrapError, MultiTrapError) as error:
        raise _refusal(user, trap_text(error)) from None


async def remove_user(api: AsyncApi, name: str, access_id: int) -> None:
    """Remove the user made for this access and end its session; nothing there is fine."""
    found = await _find(api, name)
    if found is not None and found[1] == f"pb:{access_id}":
        try:
            await api.path("ip", "hotspot", "user").remove(found[0])
        except (TrapError, MultiTrapError) as error:
            if "no such item" not in trap_text(error):
                text = trap_text(error)
                raise RouterRefused.said(
                    N_("The router did not remove {name}: {text}."), name=name, text=text
                ) from None
    active = api.path("ip", "hotspot", "active")
    sessions = [
        str(row[".id"]) async for row in active.select(Key(".id")).where(Key("user") == name)
    ]
    if sessions:
        try:
            await active.remove(*sessions)
        except (TrapError, MultiTrapError) as error:
            if "no such item" not in trap_text(error):  # the session just ended by itself
                raise RouterRefused.said(
                    N_("The router did not end {name}'s session."), name=name
                ) from None


async def _find(api: AsyncApi, name: str) -> tuple[str, str] | None:
    users = api.path("ip", "hotspot", "user")
    query = users.select(Key(".id"), Key("name"), Key("comment")).where(Key("name") == name)
    rows = [row async for row in query]
    if not rows:
        return None
    return str(rows[0][".id"]), str(rows[0].get("comment", ""))


def _refusal(user: HotspotUser, text: str) -> RouterRefused:
    if "profile" in text:
        return RouterRefused.said(
            N_(
                "The router has no hotspot user profile {profile!r} (the plan's router "
                "profile): add it under IP > Hotspot > User Profiles, or change the plan."
            ),
            profile=user.profile,
        )
    return RouterRefused.said(
        N_("The router refused the hotspot user {name}: {text}."), name=user.name, text=text
    )
