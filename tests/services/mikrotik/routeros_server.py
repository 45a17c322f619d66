"""A RouterOS API test server on loopback: the real wire protocol, a hotspot user table, faults.

RouterOS cannot run here, so this speaks what a MikroTik speaks on port 8728: sentences of
length-prefixed words ending in an empty word; `/login` (post-6.43 plain); `/system/identity/
print`; `/ip/hotspot/user/print|add|set|remove` and `/ip/hotspot/active/print|remove`, with
`?name=` queries, `.id` values like `*1`, and RouterOS's exact error texts ("failure: already
have user with this name for this server", "invalid user name or password (6)", "no such
item", "input does not match any value of profile"). Faults are switched on per test: a wrong
password, silence (an address not in `/ip service api address`), a connection dropped right
after an add is applied (a crash between the router's add and the report).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

DUPLICATE = "failure: already have user with this name for this server"
BAD_LOGIN = "invalid user name or password (6)"
NO_SUCH_ITEM = "no such item"
BAD_PROFILE = "input does not match any value of profile"


def encode_length(length: int) -> bytes:
    """RouterOS's variable-length word prefix."""
    if length < 0x80:
        return bytes([length])
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length < 0x10000000:
        return (length | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + length.to_bytes(4, "big")


async def read_length(reader: asyncio.StreamReader) -> int:
    """Decode a word prefix (the inverse of `encode_length`)."""
    first = (await reader.readexactly(1))[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        return int.from_bytes(bytes([first & 0x3F]) + await reader.readexactly(1), "big")
    if first < 0xE0:
        return int.from_bytes(bytes([first & 0x1F]) + await reader.readexactly(2), "big")
    if first < 0xF0:
        return int.from_bytes(bytes([first & 0x0F]) + await reader.readexactly(3), "big")
    return int.from_bytes(await reader.readexactly(4), "big")


def sentence(*words: str) -> bytes:
    """Words on the wire, closed by the empty word."""
    out = bytearray()
    for word in words:
        data = word.encode()
        out += encode_length(len(data)) + data
    return bytes(out + b"\x00")


@dataclass
class RouterState:
    """What the router holds, and the faults switched on."""

    identity: str = "shop-router"
    username: str = "pb-api"
    password: str = field(default="router-secret", repr=False)
    profiles: set[str] = field(default_factory=lambda: {"default", "1h", "1d"})
    users: dict[str, dict[str, str]] = field(default_factory=dict)  # .id -> fields
    active: dict[str, dict[str, str]] = field(default_factory=dict)
    silent: bool = False  # the API service drops callers not on its address list
    drop_after_add: bool = False  # apply the next add, then close the connection
    next_id: int = 1
    commands: list[str] = field(default_factory=list)

    def user_named(self, name: str) -> tuple[str, dict[str, str]] | None:
        """(.id, fields) of the hotspot user called `name`."""
        return next(((i, u) for i, u in self.users.items() if u["name"] == name), None)

    def new_id(self) -> str:
        self.next_id += 1
        return f"*{self.next_id - 1:X}"


class RouterOsServer:
    """An asyncio server speaking the RouterOS API for one `RouterState`."""

    def __init__(self, state: RouterState) -> None:
        self.state = state
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        with contextlib.suppress(Exception):
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        logged_in = False
        try:
            while True:
                words = await self._read_sentence(reader)
                if self.state.silent:
                    continue  # never answers, like a filtered API service
                command, args, queries = _split(words)
                self.state.commands.append(command)
                if command == "/login":
                    logged_in = self._login(args)
                    reply = [["!done"]] if logged_in else [["!trap", f"=message={BAD_LOGIN}"]]
                    if not logged_in:
                        reply.append(["!done"])
                elif not logged_in:
                    reply = [["!trap", "=message=not logged in"], ["!done"]]
                else:
                    reply = self._run(command, args, queries)
                if command.endswith("/user/add") and self.state.drop_after_add:
                    self.state.drop_after_add = False
                    break  # applied, and the connection drops before the answer goes out
                for words_out in reply:
                    writer.write(sentence(*words_out))
                await writer.drain()
                if command == "/login" and not logged_in:
                    break  # RouterOS closes the connection after a failed login
        except (asyncio.IncompleteReadError, ConnectionError, UnicodeDecodeError):
            pass  # a client gone, or not speaking the API (a TLS hello): RouterOS hangs up
        except asyncio.CancelledError:
            pass
        finally:
            writer.close()
            self._handlers.discard(task)

    async def _read_sentence(self, reader: asyncio.StreamReader) -> list[str]:
        words = []
        while (length := await read_length(reader)) != 0:
            words.append((await reader.readexactly(length)).decode())
        return words

    def _login(self, args: dict[str, str]) -> bool:
        return args.get("name") == self.state.username and args.get("password") == (
            self.state.password
        )

    def _run(self, command: str, args: dict[str, str], queries: dict[str, str]) -> list[list[str]]:
        state = self.state
        if command == "/system/identity/print":
            return [["!re", f"=name={state.identity}"], ["!done"]]
        table = {"/ip/hotspot/user": state.users, "/ip/hotspot/active": state.active}
        path, _, verb = command.rpartition("/")
        rows = table.get(path)
        if rows is None:
            return [["!trap", "=message=no such command prefix"], ["!done"]]
        if verb == "print":
            found = [
                (row_id, row)
                for row_id, row in rows.items()
                if all(row.get(key) == value for key, value in queries.items())
            ]
            return [
                ["!re", f"=.id={row_id}", *(f"={k}={v}" for k, v in row.items())]
                for row_id, row in found
            ] + [["!done"]]
        if verb == "add" and rows is state.users:
            return self._add_user(args)
        if verb == "set":
            row = rows.get(args.pop(".id", ""))
            if row is None:
                return [["!trap", f"=message={NO_SUCH_ITEM}"], ["!done"]]
            if "profile" in args and args["profile"] not in state.profiles:
                return [["!trap", f"=message={BAD_PROFILE}"], ["!done"]]
            row.update(args)
            return [["!done"]]
        if verb == "remove":
            ids = args.get(".id", "").split(",")
            if any(row_id not in rows for row_id in ids):
                return [["!trap", f"=message={NO_SUCH_ITEM}"], ["!done"]]
            for row_id in ids:
                del rows[row_id]
            return [["!done"]]
        return [["!trap", "=message=no such command"], ["!done"]]

    def _add_user(self, args: dict[str, str]) -> list[list[str]]:
        state = self.state
        if state.user_named(args.get("name", "")) is not None:
            return [["!trap", f"=message={DUPLICATE}"], ["!done"]]
        if args.get("profile", "default") not in state.profiles:
            return [["!trap", f"=message={BAD_PROFILE}"], ["!done"]]
        row_id = state.new_id()
        state.users[row_id] = dict(args)
        return [["!done", f"=ret={row_id}"]]


def _split(words: list[str]) -> tuple[str, dict[str, str], dict[str, str]]:
    command, args, queries = words[0], {}, {}
    for word in words[1:]:
        if word.startswith("="):
            key, _, value = word[1:].partition("=")
            if key != ".proplist":
                args[key] = value
        elif word.startswith("?"):
            key, _, value = word[1:].lstrip("=").partition("=")
            queries[key] = value
    return command, args, queries


@contextlib.asynccontextmanager
async def routeros_server(state: RouterState) -> AsyncIterator[RouterOsServer]:
    """A running test router on a free loopback port."""
    server = RouterOsServer(state)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
