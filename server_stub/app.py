"""`create_app(settings)`: the relay's ASGI app; its lifespan builds and closes every service."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from bucket_desktop.services.daraja_client import DarajaClient
from server_stub.access.keys import AccessKeyring
from server_stub.api import (
    access_routes,
    bucket_routes,
    callback_routes,
    delivery_routes,
    desk_routes,
    feed_routes,
    health_routes,
    plan_routes,
    snapshot_routes,
    voucher_routes,
)
from server_stub.api.callback_endpoint import CallbackFastPath
from server_stub.api.callback_schema import SAFE_JSON
from server_stub.api.errors import install_error_handlers
from server_stub.api.feed_endpoint import FeedFastPath
from server_stub.api.request_ids import RequestIds
from server_stub.api.state import RelayServices
from server_stub.operations.metrics import RelayMetrics
from server_stub.operations.settings import RelaySettings
from server_stub.operations.store_access import store_for
from server_stub.payments.callback_load import CallbackLoad, ConfirmationPacer
from server_stub.payments.callbacks import CallbackInbox
from server_stub.payments.feed import FeedNotifier, WaiterLimit
from server_stub.payments.pushes import PushService
from server_stub.payments.reconcile import Reconciler
from server_stub.payments.setup_checks import NonceBook, SetupTester
from server_stub.platform import routes as platform_routes
from server_stub.radius.mechanism import radius_database, radius_deliveries
from server_stub.security.atrest import SecretBox, load_secret_box
from server_stub.security.rate_limit import install_rate_limits
from server_stub.security.relay_key import RelayKey, load_relay_key
from server_stub.security.vault import CredentialVault
from server_stub.store.sqlite_store import SqliteStore
from server_stub.version import relay_version
from server_stub.webhooks import routes as webhook_routes
from server_stub.webhooks.addresses import Resolver, system_resolver
from server_stub.webhooks.dispatcher import WebhookDispatcher
from server_stub.webhooks.sender import make_client
from server_stub.webhooks.service import WebhookService

BACKLOG_EVERY_S = 10.0


def create_app(
    settings: RelaySettings,
    *,
    clock: Callable[[], float] = time.time,
    on_ready: Callable[[], None] | None = None,
    metrics: RelayMetrics | None = None,
    resolve: Resolver = system_resolver,
) -> FastAPI:
    """The relay app for these settings; nothing is opened until the lifespan starts.

    `resolve` looks up webhook receivers' names (tests give a table instead of DNS).
    """
    counted = metrics if metrics is not None else RelayMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _running_services(settings, clock, counted, resolve) as services:
            app.state.relay = services
            tasks = [
                asyncio.create_task(services.reconciler.run(), name="reconciler"),
                asyncio.create_task(_watch_backlog(services, counted, clock), name="backlog"),
                asyncio.create_task(services.webhook_dispatcher.run(), name="webhooks"),
            ]
            if services.radius is not None:
                tasks.append(asyncio.create_task(services.radius.run(), name="radius"))
            if on_ready is not None:
                on_ready()
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app = RelayApp(
        title="Payment Bucket callback relay",
        version=relay_version(),
        description="M-PESA STK pushes, callbacks and the payment feed for hotspot providers.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    _publish_shared_schemas(app)
    install_rate_limits(app, settings.pushes_per_minute)
    for module in (
        bucket_routes,
        desk_routes,
        plan_routes,
        voucher_routes,
        access_routes,
        delivery_routes,
        feed_routes,
        snapshot_routes,
        callback_routes,
        health_routes,
        platform_routes,
        webhook_routes,
    ):
        app.include_router(module.router)
    app.add_middleware(RequestIds, trusted_proxies=settings.trusted_proxies)
    app.callbacks = CallbackFastPath(settings.trusted_proxies)
    app.feed = FeedFastPath(settings.trusted_proxies)
    return app


class RelayApp(FastAPI):
    """The relay's app: Safaricom's callbacks, its hottest route, are answered ahead of every
    middleware layer (`server_stub.api.callback_endpoint`); everything else goes through them."""

    callbacks: CallbackFastPath | None = None
    feed: FeedFastPath | None = None  # the feed's GET, read by every desk (feed_endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a callback POST or a feed GET directly, or run the request through the
        whole app."""
        if self.callbacks is not None:
            match = self.callbacks.match(scope)
            if match is not None:
                await self.callbacks.answer(self.state.relay, scope, receive, send, match)
                return
        if self.feed is not None and self.feed.matches(scope):
            await self.feed.answer(self, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _publish_shared_schemas(app: FastAPI) -> None:
    """Add the schemas hand-written request bodies refer to (the callback's SafeJson), and drop
    FastAPI's default 422 answers: validation failures are answered 400 with our error body."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            document.setdefault("components", {}).setdefault("schemas", {})["SafeJson"] = SAFE_JSON
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _watch_backlog(
    services: RelayServices, metrics: RelayMetrics, clock: Callable[[], float]
) -> None:
    """Keep the reconciliation gauges current (read on the loop, like every store read)."""
    while True:
        count, oldest = await services.store.reconcile_backlog()
        metrics.reconcile_backlog.set(count)
        metrics.reconcile_oldest_age.set(max(0.0, clock() - oldest) if oldest else 0.0)
        await asyncio.sleep(BACKLOG_EVERY_S)


@asynccontextmanager
async def _running_services(
    settings: RelaySettings,
    clock: Callable[[], float],
    metrics: RelayMetrics,
    resolve: Resolver,
) -> AsyncIterator[RelayServices]:
    box = load_secret_box(settings)
    store = store_for(settings, clock, AccessKeyring(box))
    store.share_daraja_tokens(box)
    try:
        async with httpx.AsyncClient() as http, make_client() as webhook_http:
            relay_key = await load_relay_key(store, box)
            vault = CredentialVault(store, box, relay_key, settings.base_url)
            store.observe_commits(metrics.commit_seconds.observe)
            webhooks = _webhooks(settings, store, box, webhook_http, resolve, clock)
            services = _compose(settings, store, vault, relay_key, http, clock, metrics, webhooks)
            database = radius_database(settings)
            if database is not None:
                radius = await radius_deliveries(database, store, clock)
                services = replace(services, radius=radius)
            yield services
    finally:
        await store.close()


def _webhooks(
    settings: RelaySettings,
    store: SqliteStore,
    box: SecretBox,
    http: httpx.AsyncClient,
    resolve: Resolver,
    clock: Callable[[], float],
) -> tuple[WebhookService, WebhookDispatcher]:
    production = settings.production
    dispatcher = WebhookDispatcher(
        store.webhooks, box, http, production=production, resolve=resolve, clock=clock
    )
    service = WebhookService(
        store.webhooks, box, production=production, resolve=resolve, wake=dispatcher.wake
    )
    return service, dispatcher


def _compose(
    settings: RelaySettings,
    store: SqliteStore,
    vault: CredentialVault,
    relay_key: RelayKey,
    http: httpx.AsyncClient,
    clock: Callable[[], float],
    metrics: RelayMetrics,
    webhooks: tuple[WebhookService, WebhookDispatcher],
) -> RelayServices:
    daraja = DarajaClient(http, base_url_override=settings.daraja_base_url)
    # Several instances on one database: one OAuth token per Daraja app for all of them.
    daraja.shared_tokens = store.daraja_tokens
    notifier = FeedNotifier()
    # Other relay instances on the same PostgreSQL: hear their changes, tell them ours.
    notifier.publish = store.share_changes(notifier.wake)
    if store.shared:
        notifier.recheck_s = settings.feed_recheck_s
    nonces = NonceBook(clock, store)
    load = CallbackLoad()
    reconciler = Reconciler(
        store,
        vault,
        daraja,
        notifier,
        first_s=settings.reconcile_first_s,
        until_s=settings.reconcile_until_s,
        clock=clock,
        metrics=metrics,
        pacer=ConfirmationPacer(load),
    )
    waiters = WaiterLimit(settings.feed_waits_per_token)
    metrics.feed_waiters.set_function(lambda: waiters.total)
    return RelayServices(
        settings=settings,
        store=store,
        relay_key=relay_key,
        vault=vault,
        notifier=notifier,
        pushes=PushService(store, vault, daraja, notifier, reconciler, clock, metrics),
        reconciler=reconciler,
        tester=SetupTester(store, vault, daraja, http, nonces, clock),
        nonces=nonces,
        inbox=CallbackInbox(
            store,
            notifier,
            settings.callback_allowed_ips,
            settings.confirm_first_s,
            clock,
            settings.unknown_callbacks_per_minute,
            metrics,
            wake_queries=reconciler.wake_for,
            load=load,
        ),
        waiters=waiters,
        webhooks=webhooks[0],
        webhook_dispatcher=webhooks[1],
        clock=clock,
    )
