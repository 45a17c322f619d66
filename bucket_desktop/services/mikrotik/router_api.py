"""Talking to the router's API with librouteros, every failure turned into one plain sentence.

Known traps (ACTIVATION.md A.3): an API service that silently drops callers not on `/ip service
api address` (so a connect timeout is essential), `MultiTrapError` being a sibling of
`TrapError` (both caught), and a connection closed mid-command.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Self

from librouteros import async_connect
from librouteros.api import AsyncApi
from librouteros.exceptions import LibRouterosError, MultiTrapError, TrapError

from bucket_desktop.i18n import _
from bucket_desktop.services.mikrotik.router_settings import RouterSettings

CONNECT_TIMEOUT_S = 8.0


class RouterError(Exception):
    """The router could not do what was asked; `message` says why, for the owner.

    `english` is the same sentence in English, for the relay's delivery log (read by support
    and by desks in any language); it is `message` when the two were not told apart.
    """

    def __init__(self, message: str, english: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.english = english if english is not None else message

    @classmethod
    def said(cls, msgid: str, **values: object) -> Self:
        """The error of the message `msgid` (marked with N_) with its values, in both languages."""
        return cls(_(msgid).format(**values), msgid.format(**values))


class RouterUnreachable(RouterError):
    """Nothing answered: wrong address, router off, API service off or address-restricted."""


class RouterLoginRefused(RouterError):
    """The router answered but refused the API user name or password."""


class RouterRefused(RouterError):
    """The router refused a command (its own error text is kept in the message)."""


def trap_text(error: TrapError | MultiTrapError) -> str:
    """RouterOS's own message(s) of a trap."""
    if isinstance(error, MultiTrapError):
        return "; ".join(trap.message for trap in error.traps)
    return str(error.message)


@asynccontextmanager
async def router_session(
    settings: RouterSettings, timeout_s: float = CONNECT_TIMEOUT_S
) -> AsyncIterator[AsyncApi]:
    """A logged-in API session; RouterError subclasses say what went wrong."""
    api = await _connect(settings, timeout_s)
    try:
        yield api
    finally:
        with contextlib.suppress(TimeoutError, OSError, LibRouterosError):
            await api.close()  # the router may already have closed it


async def router_identity(api: AsyncApi) -> str:
    """The router's `/system identity` name."""
    rows = [row async for row in api.path("system", "identity")("print")]
    return str(rows[0].get("name", "")) if rows else ""  # librouteros rows are untyped


async def _connect(settings: RouterSettings, timeout_s: float) -> AsyncApi:
    where = settings.address
    context = _tls_context() if settings.use_tls else None
    try:
        return await async_connect(
            settings.host,
            settings.username,
            settings.password,
            port=settings.port,
            timeout=timeout_s,
            ssl_wrapper=context,
        )
    except ConnectionRefusedError:
        raise RouterUnreachable(
            _(
                "The router at {where} refused the connection: turn on its API service (IP > "
                "Services > {value}, port {port})."
            ).format(
                where=where, value="api-ssl" if settings.use_tls else "api", port=settings.port
            )
        ) from None
    except TimeoutError:
        raise RouterUnreachable(
            _(
                "The router at {where} did not answer within {timeout_s:g} seconds: check "
                "the address, that this PC is on the shop network, and that IP > Services > "
                "api allows this PC's address."
            ).format(where=where, timeout_s=timeout_s)
        ) from None
    except ssl.SSLError:
        raise RouterUnreachable(_tls_failed(where)) from None
    except (TrapError, MultiTrapError) as error:
        text = trap_text(error)
        if "invalid user name or password" in text or "cannot log in" in text:
            raise RouterLoginRefused(
                _(
                    "The router at {where} refused the API user {username!r} or its password: "
                    "check both (System > Users; the user's group needs the api policy)."
                ).format(where=where, username=settings.username)
            ) from None
        raise RouterRefused(
            _("The router at {where} refused the login: {text}.").format(where=where, text=text)
        ) from None
    except (OSError, LibRouterosError):
        if settings.use_tls:  # a handshake the far end dropped: most often a plain api port
            raise RouterUnreachable(_tls_failed(where)) from None
        raise RouterUnreachable(
            _(
                "The router at {where} cannot be reached: check the address and that this PC "
                "is on the shop network."
            ).format(where=where)
        ) from None


def _tls_failed(where: str) -> str:
    return _(
        "The secure (TLS) connection to the router at {where} failed: the api-ssl "
        "service needs a certificate (IP > Services > api-ssl, port 8729), or untick "
        "TLS to use the plain API."
    ).format(where=where)


def _tls_context() -> ssl.SSLContext:
    # RouterOS's api-ssl uses a certificate the owner made on the router itself, signed by no
    # public authority, so it cannot be verified; TLS here keeps the password off the LAN.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
