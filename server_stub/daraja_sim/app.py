"""The simulator's ASGI app: Daraja's routes, the `/sim` control API, and Apigee's 404s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server_stub.daraja_sim.callbacks import CallbackDispatcher
from server_stub.daraja_sim.config import SimConfig
from server_stub.daraja_sim.control import ControlEndpoints
from server_stub.daraja_sim.errors import apigee_fault
from server_stub.daraja_sim.oauth import OAuthEndpoint
from server_stub.daraja_sim.state import SimState
from server_stub.daraja_sim.stk import StkEndpoints

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class Simulator:
    """One simulator instance: its state, its callback sender and its route handlers."""

    def __init__(self, config: SimConfig) -> None:
        self.state = SimState(config)
        self.callbacks = CallbackDispatcher(self.state)
        self.oauth = OAuthEndpoint(self.state)
        self.stk = StkEndpoints(self.state, self.callbacks)
        self.control = ControlEndpoints(self.state, self.callbacks)

    def routes(self) -> list[Route]:
        """Daraja's paths, then the control API, then a catch-all Apigee fault."""
        control = self.control
        phone_path = "/sim/scenarios/phone/{phone}"
        return [
            Route("/oauth/v1/generate", self.oauth.generate, methods=["GET"]),
            Route("/mpesa/stkpush/v1/processrequest", self.stk.push, methods=["POST"]),
            Route("/mpesa/stkpushquery/v1/query", self.stk.query, methods=["POST"]),
            Route("/sim/scenarios", control.scenarios, methods=["GET"]),
            Route(phone_path, control.set_phone_scenario, methods=["PUT"]),
            Route(phone_path, control.clear_phone_scenario, methods=["DELETE"]),
            Route("/sim/scenarios/next", control.set_next_scenario, methods=["PUT"]),
            Route("/sim/scenarios/next", control.clear_next_scenario, methods=["DELETE"]),
            Route("/sim/apps", control.add_app, methods=["POST"]),
            Route("/sim/requests", control.requests, methods=["GET"]),
            Route("/sim/pushes", control.pushes, methods=["GET"]),
            Route("/sim/reset", control.reset, methods=["POST"]),
            Route("/{path:path}", _unknown_path, methods=ALL_METHODS),
        ]


async def _unknown_path(request: Request) -> Response:
    return apigee_fault(request.url.path)


def create_app(config: SimConfig | None = None) -> Starlette:
    """A new simulator app; its state lives in `app.state.simulator`."""
    simulator = Simulator(config or SimConfig())

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await simulator.callbacks.start()
        try:
            yield
        finally:
            await simulator.callbacks.close()

    app = Starlette(routes=simulator.routes(), lifespan=lifespan)
    app.state.simulator = simulator
    return app
