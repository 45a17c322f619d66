"""The desk's MikroTik delivery round: reach the router, claim from the relay, work, report.

The router is reached first, so nothing is claimed while it is down; its identity goes with
the claim, and the relay hands deliveries only to a desk at the router the provider bound. No
router call happens while any database transaction is open: the relay's claim has committed
before the first word goes to the router, and each report is its own short request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from librouteros.api import AsyncApi
from librouteros.exceptions import LibRouterosError

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.mikrotik.hotspot_users import HotspotUser, ensure_user, remove_user
from bucket_desktop.services.mikrotik.router_api import (
    RouterError,
    RouterRefused,
    router_identity,
    router_session,
)
from bucket_desktop.services.mikrotik.router_settings import RouterSettings
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayError

log = logging.getLogger(__name__)
CLAIM_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Claimed:
    """One delivery the relay leased to this desk."""

    delivery_id: int
    lease_id: str = field(repr=False)
    action: str
    user: HotspotUser

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Claimed:
        return cls(
            delivery_id=int(item["delivery_id"]),
            lease_id=str(item["lease_id"]),
            action=str(item["action"]),
            user=HotspotUser(
                access_id=int(item["access_id"]),
                name=str(item["code"]),
                password=str(item["password"]),
                profile=str(item["profile"]),
                limit_uptime_s=item.get("limit_uptime_s"),
                limit_bytes_total=item.get("limit_bytes_total"),
            ),
        )


@dataclass
class RoundResult:
    """What one round did, for the router page's status line."""

    delivered: int = 0
    failed: int = 0
    problem: str | None = None  # why nothing could be worked (router or relay), in a sentence
    reasons: list[str] = field(default_factory=list)  # why each failed delivery failed


class RouterDeliveries:
    """Works the provider's MikroTik deliveries at the router this desk can reach."""

    def __init__(self, relay: RelayClient) -> None:
        self._relay = relay

    async def run_once(self, settings: RouterSettings) -> RoundResult:
        """One round: connect, claim, make or remove each user, report each result."""
        result = RoundResult()
        try:
            async with router_session(settings) as api:
                identity = await router_identity(api)
                claimed = await self._claim(identity)
                for number, delivery in enumerate(claimed):
                    if not await self._work(api, delivery, result):
                        await self._release(claimed[number + 1 :])
                        break
        except RouterError as error:
            result.problem = error.message
        except RelayError as error:
            result.problem = str(error)
        except (OSError, LibRouterosError, TimeoutError):
            result.problem = _("The connection to the router dropped; the next round tries again.")
        return result

    async def _claim(self, identity: str) -> list[Claimed]:
        body = {"mechanism": "mikrotik", "router_identity": identity, "limit": CLAIM_LIMIT}
        data = await self._relay.request_json(
            "POST", "/payments/bucket/deliveries/claim/", json_body=body
        )
        return [Claimed.from_json(item) for item in data.get("items", [])]

    async def _work(self, api: AsyncApi, delivery: Claimed, result: RoundResult) -> bool:
        """Do one delivery and report it; False when the router went away."""
        try:
            if delivery.action == "remove":
                await remove_user(api, delivery.user.name, delivery.user.access_id)
            else:
                await ensure_user(api, delivery.user)
        except RouterRefused as error:
            result.failed += 1
            result.reasons.append(error.message)
            # The relay's delivery log is in English, whatever the desk's language.
            await self._report(delivery, ok=False, error=error.english)
            return True
        except (OSError, LibRouterosError, TimeoutError):
            # The router may have applied it: the retry finds the user by its tag.
            result.problem = _(DROPPED)
            await self._report(
                delivery, ok=False, error=DROPPED, unreachable=True
            )  # the relay keeps English
            return False
        result.delivered += 1
        await self._report(delivery, ok=True)
        return True

    async def _release(self, rest: list[Claimed]) -> None:
        for delivery in rest:
            await self._report(
                delivery, ok=False, error=DROPPED, unreachable=True
            )  # the relay keeps English

    async def _report(
        self, delivery: Claimed, *, ok: bool, error: str | None = None, unreachable: bool = False
    ) -> None:
        body = {"lease_id": delivery.lease_id, "ok": ok, "error": error, "unreachable": unreachable}
        try:
            await self._relay.request_json(
                "POST",
                f"/payments/bucket/deliveries/{delivery.delivery_id}/report/",
                json_body=body,
            )
        except RelayError as failure:
            # The lease runs out and the delivery is claimed again; the router side is
            # idempotent (the user is found by its tag), so nothing is done twice.
            log.warning("Delivery report not taken: %s", failure)


# Reported to the relay in English (its records are read by support); shown translated.
DROPPED = N_("The connection to the router dropped; trying again.")
