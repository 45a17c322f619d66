"""Demo providers for the Platform page: many hotspot businesses on the demo relay, each in a
different state, made through the relay's own routes (admin, credentials, pushes).

Used by the Platform page's screenshots and tests; every provider is real on the demo relay:
its credentials are sealed and tested, its prompts go to the offline simulator.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import httpx

from bucket_desktop.services.credentials import DarajaCredentials
from bucket_desktop.services.platform.admin_client import PlatformClient
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.services.sealing import seal

PLACES = (
    "Kahawa",
    "Githurai",
    "Kibera",
    "Rongai",
    "Kitengela",
    "Ruiru",
    "Thika",
    "Juja",
    "Kasarani",
    "Umoja",
    "Donholm",
    "Embakasi",
    "Ngong",
    "Kiserian",
    "Limuru",
    "Kikuyu",
    "Westlands",
    "Kawangware",
    "Kangemi",
    "Mathare",
    "Eastleigh",
    "Pipeline",
    "Utawala",
    "Syokimau",
    "Mlolongo",
    "Athi River",  # i18n: keep (a town's name)
    "Machakos",
    "Nakuru",
    "Naivasha",
    "Eldoret",
)
BRANDS = ("Net", "WiFi", "Hotspot", "Connect", "Links", "Online")
# The simulator's scripted phones (server_stub.daraja_sim.scenarios): who pays, who cancels,
# whose callback is lost, and whose payment the confirming query disputes.
CANCELS, LOST_CALLBACK, DISPUTED = "254700000002", "254700000006", "254700000010"
BATCH = 8


@dataclass(frozen=True, slots=True)
class DemoShop:
    """How one demo provider is set up."""

    name: str
    credentials: bool
    verified: bool
    sales: int
    special_phone: str | None
    disabled: bool


def demo_shops(count: int, seed: int = 19) -> list[DemoShop]:
    """`count` providers: most verified and selling, some new, a few in trouble."""
    chance = random.Random(seed)  # noqa: S311 - demo data, not security
    shops = []
    for number in range(count):
        name = f"{PLACES[number % len(PLACES)]} {BRANDS[(number * 7) % len(BRANDS)]}"
        if number >= len(PLACES):
            name += f" {number // len(PLACES) + 1}"
        credentials = number % 9 != 4
        verified = credentials and number % 7 != 3
        special = {5: DISPUTED, 11: LOST_CALLBACK, 17: CANCELS, 23: DISPUTED}.get(number % 25)
        shops.append(
            DemoShop(
                name=name,
                credentials=credentials,
                verified=verified,
                sales=chance.randint(0, 4) if verified else 0,
                special_phone=special if verified else None,
                disabled=number % 16 == 9,
            )
        )
    return shops


async def seed_demo_providers(
    http: httpx.AsyncClient,
    relay_url: str,
    admin_token: str,
    credentials: DarajaCredentials,
    count: int,
) -> list[int]:
    """Create `count` demo providers through the relay; returns their ids."""
    platform = PlatformClient(RelayClient(http, relay_url, admin_token))
    ids: list[int] = []
    shops = demo_shops(count)
    for start in range(0, len(shops), BATCH):
        batch = shops[start : start + BATCH]
        made = await asyncio.gather(
            *(
                _one(http, relay_url, platform, shop, credentials, start + i)
                for i, shop in enumerate(batch)
            )
        )
        ids.extend(made)
    return ids


async def _one(
    http: httpx.AsyncClient,
    relay_url: str,
    platform: PlatformClient,
    shop: DemoShop,
    credentials: DarajaCredentials,
    number: int,
) -> int:
    made = await platform.create_provider(shop.name)
    owner = RelayClient(http, relay_url, made.owner_token)
    attendant = RelayClient(http, relay_url, made.attendant_token)
    if shop.credentials:
        key = await owner.relay_key()
        await owner.put_credentials(seal(key.public_key, credentials.to_json()), key.fingerprint)
    if shop.verified:
        await owner.test_credentials()
    phones = [f"2547{number:04d}{sale:04d}" for sale in range(shop.sales)]
    if shop.special_phone:
        phones.append(shop.special_phone)
    for phone in phones:
        try:
            await attendant.initiate(
                phone_number=phone,
                amount=random.choice((20, 30, 50, 100)),  # noqa: S311 - demo data
                account_reference="HOTSPOT",
                transaction_desc="WiFi",
            )
        except RelayError:
            continue  # a refused demo prompt (e.g. the same phone twice) changes nothing shown
    if shop.disabled:
        await platform.set_disabled(made.provider_id, True)
    return made.provider_id
