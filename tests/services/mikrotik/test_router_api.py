"""The router Test: the real librouteros against the RouterOS API test server, one plain
sentence per failure (unreachable, API service off, address-restricted, wrong login, TLS)."""

from __future__ import annotations

import pytest

from bucket_desktop.services.mikrotik.router_api import (
    RouterLoginRefused,
    RouterUnreachable,
    router_identity,
    router_session,
)
from bucket_desktop.services.mikrotik.router_settings import (
    RouterSettings,
    RouterSettingsError,
)
from tests.ports import closed_port
from tests.services.mikrotik.routeros_server import RouterState, routeros_server


def _settings(port: int, password: str = "router-secret", *, tls: bool = False) -> RouterSettings:
    return RouterSettings.checked(f"127.0.0.1:{port}", "pb-api", password, use_tls=tls)


async def test_a_router_that_answers_gives_its_identity() -> None:
    async with (
        routeros_server(RouterState(identity="westlands-hap")) as router,
        router_session(_settings(router.port)) as api,
    ):
        assert await router_identity(api) == "westlands-hap"


async def test_a_wrong_password_is_said_plainly() -> None:
    async with routeros_server(RouterState()) as router:
        with pytest.raises(RouterLoginRefused) as caught:
            async with router_session(_settings(router.port, "guess")):
                pass
    assert "refused the API user 'pb-api' or its password" in caught.value.message
    assert "guess" not in caught.value.message


async def test_an_api_service_that_is_off_refuses_the_connection() -> None:
    with closed_port() as port, pytest.raises(RouterUnreachable) as caught:
        async with router_session(_settings(port)):
            pass
    assert "turn on its API service" in caught.value.message


async def test_an_address_restricted_api_service_times_out_with_a_hint() -> None:
    async with routeros_server(RouterState(silent=True)) as router:
        with pytest.raises(RouterUnreachable) as caught:
            async with router_session(_settings(router.port), timeout_s=1.0):
                pass
    assert "did not answer within 1 seconds" in caught.value.message
    assert "allows this PC's address" in caught.value.message


async def test_tls_to_a_plain_api_port_is_explained() -> None:
    async with routeros_server(RouterState()) as router:
        with pytest.raises(RouterUnreachable) as caught:
            async with router_session(_settings(router.port, tls=True), timeout_s=3.0):
                pass
    assert "secure (TLS) connection" in caught.value.message


def test_the_form_is_checked_and_the_password_never_shown() -> None:
    settings = RouterSettings.checked(" 192.168.88.1 ", "admin", "pw")
    assert (settings.host, settings.port, settings.address) == (
        "192.168.88.1",
        8728,
        "192.168.88.1",
    )
    assert RouterSettings.checked("10.0.0.1", "a", "b", use_tls=True).port == 8729
    assert "pw" not in repr(settings)
    for address, user, password in (
        ("", "a", "b"),
        ("1.2.3.4:99999", "a", "b"),
        ("a b", "a", "b"),
        ("1.2.3.4", "", "b"),
        ("1.2.3.4", "a", ""),
    ):
        with pytest.raises(RouterSettingsError):
            RouterSettings.checked(address, user, password)
