"""The Router page against a real relay and the RouterOS API test server: Test with a plain
sentence per failure, Save (encrypted, back after a restart), the owner binding MikroTik
delivery to the tested router, and the desk's first delivery round; screenshots at 1024x600
and at a large size."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.ui.common.widgets import StatusKind
from bucket_desktop.ui.router.router_page import SETTINGS_PATH
from bucket_desktop.ui.shell.desktop import ROUTER_PAGE, Desktop
from server_stub.testing import RunningRelay
from tests.services.mikrotik.routeros_server import RouterOsServer, RouterState
from tests.ui.counter_support import new_provider
from tests.ui.held_answer import FirstAnswerHeld
from tests.ui.test_settings_page import signed_in

DOCS = Path(__file__).resolve().parents[3] / "docs"


def _fill(qtbot: QtBot, desktop: Desktop, address: str, user: str, password: str) -> None:
    view = desktop.router.view
    for field, text in ((view.address, address), (view.username, user)):
        field.clear()
        qtbot.keyClicks(field, text)
    view.password.line_edit.clear()
    qtbot.keyClicks(view.password.line_edit, password)


def _click(qtbot: QtBot, desktop: Desktop, button: Any, status: Any) -> None:
    status.show_status("")
    button.click()
    qtbot.waitUntil(lambda: status.text() != "" and not status.text().endswith("…"), timeout=30_000)


def test_owner_tests_saves_and_binds_the_router(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    tmp_path: Path,
) -> None:
    router = RouterOsServer(RouterState(identity="shop-router"))
    run(router.start())
    try:
        desktop = make_desktop()
        signed_in(run, desktop, relay, provider["owner_token"])
        assert desktop.window.show_page(ROUTER_PAGE)
        view = desktop.router.view
        address = f"127.0.0.1:{router.port}"

        _fill(qtbot, desktop, address, "pb-api", "wrong-password")
        _click(qtbot, desktop, view.test_button, view.status)
        assert view.status.kind is StatusKind.ERROR
        assert "refused the API user 'pb-api' or its password" in view.status.text()

        _fill(qtbot, desktop, address, "pb-api", "router-secret")
        _click(qtbot, desktop, view.test_button, view.status)
        assert view.status.kind is StatusKind.OK, view.status.text()
        assert "“shop-router”" in view.status.text()

        _click(qtbot, desktop, view.save_button, view.status)
        assert "Saved, encrypted" in view.status.text()
        view.bind_button.click()
        qtbot.waitUntil(lambda: "“shop-router”" in view.binding.text(), timeout=30_000)
        # The first round runs at once: reached the router, claimed, nothing waiting yet.
        qtbot.waitUntil(
            lambda: "nothing waiting for the router" in view.deliveries.text(), timeout=30_000
        )
        assert "/system/identity/print" in router.state.commands
        # This relay has no RADIUS database: the card says so, and switching on is refused.
        assert "no RADIUS server" in view.radius_state.text()
        _screenshots(qtbot, desktop, tmp_path)
        assert "RADIUS_DATABASE_URL" in view.radius_state.text()
        assert not view.radius_on_button.isEnabled()
    finally:
        run(router.stop())


def test_the_saved_login_comes_back_and_an_unreachable_router_is_said(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
) -> None:
    first = make_desktop()
    signed_in(run, first, relay, provider["attendant_token"])
    first.window.show_page(ROUTER_PAGE)
    _fill(qtbot, first, "127.0.0.1:9", "pb-api", "router-secret")
    _click(qtbot, first, first.router.view.save_button, first.router.view.status)
    assert not first.router.view.bind_button.isVisible()  # binding is the owner's choice
    assert "The owner switches hotspot users on or off" in first.router.view.binding.text()
    qtbot.waitUntil(
        lambda: "refused the connection" in first.router.view.deliveries.text(), timeout=30_000
    )
    run(first.close())
    again = make_desktop()
    signed_in(run, again, relay, provider["attendant_token"])
    qtbot.waitUntil(lambda: again.router.view.address.text() == "127.0.0.1:9", timeout=30_000)
    assert again.router.view.password.text() == "router-secret"
    vault = (Path(again.router._file.path)).read_bytes()
    assert b"router-secret" not in vault


def test_a_slow_first_read_of_the_binding_does_not_undo_stop(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    http: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = new_provider(relay, "Kilimani WiFi")
    owner = RelayClient(http, relay.base_url, made["owner_token"])
    bound = {"mikrotik_enabled": True, "router_identity": "shop-router"}
    run(owner.request_json("PUT", SETTINGS_PATH, json_body=bound))
    # A slow link: the sign-in's read of the settings answers last.
    held = FirstAnswerHeld(
        monkeypatch,
        RelayClient,
        "request_json",
        when=lambda _client, method, path, **_kw: (method, path) == ("GET", SETTINGS_PATH),
    )
    desktop = make_desktop()
    signed_in(run, desktop, relay, made["owner_token"])
    desktop.window.show_page(ROUTER_PAGE)
    view = desktop.router.view
    try:
        qtbot.waitUntil(lambda: held.asked == 1)
        view.unbind_button.click()  # the owner stops hotspot users while the read is out
        qtbot.waitUntil(lambda: view.binding.text().startswith("Off:"))
    finally:
        held.release.set()
    qtbot.waitUntil(lambda: held.answered)
    assert view.binding.text() == "Off: paid plans are not made into hotspot users."


def test_a_slow_sign_in_keeps_what_the_owner_typed_and_fills_the_rest(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    provider: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    first = make_desktop()
    first.window.show_page(ROUTER_PAGE)
    _fill(qtbot, first, "192.168.88.1", "pb-api", "router-secret")
    first.router.view.use_tls.click()
    _click(qtbot, first, first.router.view.save_button, first.router.view.status)
    run(first.close())
    # A slow link: the page is open and the owner types a new address while the sign-in's
    # answer is on its way; the saved login is read once it came.
    held = FirstAnswerHeld(monkeypatch, RelayClient, "identify")
    again = make_desktop()
    again.window.show_page(ROUTER_PAGE)
    view = again.router.view
    signing_in = asyncio.ensure_future(again.sign_in(relay.base_url, provider["owner_token"]))
    try:
        qtbot.waitUntil(lambda: held.asked == 1)
        qtbot.keyClicks(view.address, "10.5.50.1")
    finally:
        held.release.set()
    run(signing_in)
    qtbot.waitUntil(lambda: view.username.text() == "pb-api", timeout=30_000)
    assert view.address.text() == "10.5.50.1"
    assert view.password.text() == "router-secret"
    assert view.use_tls.isChecked()
    assert "Your changes were kept (not saved yet)" in view.status.text()
    qtbot.waitUntil(lambda: view.binding.text().startswith("Off:"), timeout=30_000)
    _screenshots(qtbot, again, tmp_path, stem="router-page-kept", to_docs=False)


def _screenshots(
    qtbot: QtBot, desktop: Desktop, folder: Path, stem: str = "router-page", to_docs: bool = True
) -> None:
    """The page at a netbook's size and a laptop's; UPDATE_DOCS_SCREENSHOTS=1 copies them to
    docs/ (the pictures there are the ones with `to_docs`)."""
    window = desktop.window.view
    for name, size in (
        (f"{stem}-1024x600.png", (1024, 600)),
        (f"{stem}-1366x768.png", (1366, 768)),
    ):
        window.resize(*size)
        qtbot.waitUntil(lambda size=size: window.size().width() == size[0])
        # Let the scroll area lay the page out at the new size before the picture is taken.
        area = desktop.router.view.parentWidget()
        qtbot.waitUntil(lambda area=area: area is not None and area.width() <= window.width())
        QApplication.processEvents()
        QApplication.processEvents()
        assert window.grab().save(str(folder / name))
        if to_docs and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
            shutil.copy(folder / name, DOCS / name)


def test_a_paid_plan_becomes_a_hotspot_user_after_a_failure_and_retry_now(
    qtbot: QtBot,
    run: Callable[..., Any],
    make_desktop: Callable[..., Desktop],
    relay: RunningRelay,
    http: Any,
    tmp_path: Path,
) -> None:
    """Paid through the simulator, confirmed by the relay's query, made on the router by this
    desk: first refused (the router lacks the plan's profile, said in one sentence), then,
    once the owner added it and pressed Retry now, made exactly once."""
    made = new_provider(relay, "Westlands WiFi")
    router = RouterOsServer(RouterState(identity="shop-router", profiles={"default"}))
    run(router.start())
    try:
        desktop = make_desktop()
        signed_in(run, desktop, relay, made["owner_token"])
        desktop.window.show_page(ROUTER_PAGE)
        view = desktop.router.view
        _fill(qtbot, desktop, f"127.0.0.1:{router.port}", "pb-api", "router-secret")
        _click(qtbot, desktop, view.test_button, view.status)
        _click(qtbot, desktop, view.save_button, view.status)
        view.bind_button.click()
        qtbot.waitUntil(lambda: "“shop-router”" in view.binding.text(), timeout=30_000)

        owner = RelayClient(http, relay.base_url, made["owner_token"])
        plan = run(owner.request_json("POST", "/payments/bucket/plans/", json_body=PLAN))
        push = run(
            owner.request_json(
                "POST",
                "/payments/bucket/initiate/",
                json_body={"phone_number": "0708374149", "plan_id": plan["id"]},
            )
        )
        qtbot.waitUntil(lambda: "not made" in view.deliveries.text(), timeout=60_000)
        assert "no hotspot user profile '1h'" in view.deliveries.text()
        assert router.state.users == {}
        _screenshot(qtbot, desktop, tmp_path, "router-delivery-failed-1024x600.png")

        router.state.profiles.add("1h")  # the owner adds the profile on the router
        body = {"checkout_request_id": push["checkout_request_id"]}
        status = run(owner.request_json("POST", "/payments/bucket/status/", json_body=body))
        code = status["access"]["code"]
        run(owner.request_json("POST", f"/payments/bucket/access/{code}/retry/"))
        _click(qtbot, desktop, view.save_button, view.status)  # a round now
        qtbot.waitUntil(lambda: "made or removed" in view.deliveries.text(), timeout=60_000)
        [user] = router.state.users.values()
        assert (user["name"], user["profile"], user["limit-uptime"]) == (code, "1h", "01:00:00")
    finally:
        run(router.stop())


PLAN = {
    "name": "1 hour",
    "price": 20,
    "duration_minutes": 60,
    "router_profile": "1h",
    "speed": "2M/5M",
    "account_reference": "HOTSPOT1",
    "transaction_desc": "WiFi 1 hour",
}


def _screenshot(qtbot: QtBot, desktop: Desktop, folder: Path, name: str) -> None:
    window = desktop.window.view
    window.resize(1024, 600)
    qtbot.waitUntil(lambda: window.size().width() == 1024)
    QApplication.processEvents()
    assert window.grab().save(str(folder / name))
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copy(folder / name, DOCS / name)
