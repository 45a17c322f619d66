"""What a durable callback cannot cost less than, beside a bare request (issue 21).

Usage: .venv/bin/python bench/bench_ingest_floor.py [--callbacks 4000] [--rounds 3]
       [--group 16] [--seconds 8]

Issue 21 asks callback ingest to reach 0.20 of a bare ASGI app on one core, which is a CPU
budget of five bare requests a callback. This bench measures, in alternating rounds on CPU 0,
the parts no callback can do without, so the budget can be held against them:
- a bare ASGI request: the bare app of bench_ingest.py served by the same uvicorn setup, loaded
  by wrk on CPU 1 (`-t1 -c32`, bench/ingest_wrk.lua), its CPU time per answered request;
- the callback's strict parse and shape check, and its token's hash (what the inbox does with
  the body before the store sees it), in-process;
- the SQL alone: a paid callback's statements with their values ready (the push by its token,
  the provider's feed number, the settlement with a feed item of the real size, the raw body),
  each in the writer's savepoint, `--group` callbacks to a durable commit (WAL, synchronous=FULL),
  on one thread: SQLite's own work and its commit;
- the store's whole ingest: `SqliteStore.ingest_callback` as the inbox calls it, `--group`
  callbacks at a time from an event loop through the store's writer thread (every thread's CPU).
Each in-process round works on its own copy of one store seeded by the relay's own code
(bench/ingest_seed.py), with pushes no other round settles. bench_ingest.py measures the served
relay itself. Not a test: figures depend on the machine; the ratios are the point.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench_ingest import INGEST_ENV, bare_app, load_turn, seed_with
from relay_report import Row, pinned_bench
from relay_seed import callback_body

from server_stub.access.keys import AccessKeyring
from server_stub.operations.settings import RelaySettings, load_settings
from server_stub.operations.store_access import store_for
from server_stub.payments.callback_parse import parse_stk_callback
from server_stub.payments.strict_json import parse_strict_object
from server_stub.security.atrest import load_secret_box
from server_stub.security.tokens import token_hash
from server_stub.store import sqlite_callbacks
from server_stub.store.records import RawCallback
from server_stub.store.sqlite_store import SqliteStore, connect
from server_stub.testing import relay_environment

SERVER_CPU = 0
CONFIRM_AFTER_S = 86_400.0


@dataclass(frozen=True)
class Callback:
    """One seeded push's callback as wrk sends it."""

    number: int
    provider_ref: str
    token: str
    body: bytes

    @classmethod
    def from_line(cls, line: str) -> Callback:
        """From an "<number> /payments/callback/<provider>/<token>/" line of ingest_seed.py."""
        number, path = line.split(" ")
        provider_ref, token = path.strip("/").split("/")[-2:]
        return cls(int(number), provider_ref, token, callback_body(int(number)))


def copy_store(settings: RelaySettings, folder: Path) -> dict[str, str]:
    """A copy of the seeded store (its WAL included) and the environment that opens it."""
    source = settings.database_path
    target = folder / "relay.db"
    folder.mkdir()
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    shutil.copy(source.parent / "encryption.key", folder / "encryption.key")  # its mode too
    return relay_environment(folder, INGEST_ENV)


def cpu_per_item(work: Callable[..., int], *args: object) -> float:
    """CPU microseconds (this process, every thread) per item `work(*args)` reports doing."""
    started = time.process_time()
    items = work(*args)
    return 1e6 * (time.process_time() - started) / items


def groups(callbacks: list[Callback], size: int) -> Iterator[list[Callback]]:
    """The callbacks `size` at a time."""
    for start in range(0, len(callbacks), size):
        yield callbacks[start : start + size]


def parse_only(callbacks: list[Callback]) -> int:
    """The inbox's work on a body before the store: strict parse, shape check, token hash."""
    for callback in callbacks:
        parse_stk_callback(parse_strict_object(callback.body))
        token_hash(callback.token)
    return len(callbacks)


def statements_only(env: dict[str, str], callbacks: list[Callback], group: int) -> int:
    """A paid callback's statements with their values ready, grouped to durable commits."""
    conn = connect(load_settings(env).database_path)
    try:
        # A feed item of the real size: the one the store wrote for a settled bench payment.
        item = conn.execute("SELECT feed_json FROM payments WHERE status = 'paid' LIMIT 1")
        feed_json = item.fetchone()[0]
        for batch in groups(callbacks, group):
            conn.execute("BEGIN IMMEDIATE")
            for callback in batch:
                conn.execute("SAVEPOINT operation")
                receipt = f"BEN{callback.number:07d}"
                push = conn.execute(
                    sqlite_callbacks.BY_TOKEN, (receipt, token_hash(callback.token))
                ).fetchone()
                now = time.time()
                seq = conn.execute(
                    sqlite_callbacks.NEXT_SEQ, (now, int(callback.provider_ref))
                ).fetchone()[0]
                conn.execute(
                    sqlite_callbacks.SETTLE,
                    ("paid", "0", "ok", receipt, "callback", "MR", now, seq, feed_json,
                     True, now + CONFIRM_AFTER_S, "paid", True, True, now, True, push[0]),
                )  # fmt: skip
                conn.execute(
                    sqlite_callbacks.INSERT_RAW,
                    (now, callback.provider_ref, "127.0.0.1", callback.body, "applied", push[0]),
                )
                conn.execute("RELEASE operation")
            conn.execute("COMMIT")
    finally:
        conn.close()
    return len(callbacks)


def store_ingest(env: dict[str, str], callbacks: list[Callback], group: int) -> int:
    """`SqliteStore.ingest_callback` as the inbox calls it, `group` callbacks at a time."""
    settings = load_settings(env)
    store = store_for(settings, time.time, AccessKeyring(load_secret_box(settings)))
    assert isinstance(store, SqliteStore)

    async def one(callback: Callback) -> None:
        result = parse_stk_callback(parse_strict_object(callback.body))
        raw = RawCallback(
            received_at=time.time(),
            provider_ref=callback.provider_ref,
            token_hash=token_hash(callback.token),
            source_address="127.0.0.1",
            body=callback.body,
        )
        outcome, _ = await store.ingest_callback(
            raw,
            provider_id=int(callback.provider_ref),
            result=result,
            rejection=None,
            confirm_after_s=CONFIRM_AFTER_S,
        )
        if outcome.value != "applied":
            raise RuntimeError(f"push {callback.number}: {outcome.value}")

    async def all_groups() -> None:
        try:
            for batch in groups(callbacks, group):
                await asyncio.gather(*(one(callback) for callback in batch))
        finally:
            await store.close()

    asyncio.run(all_groups())
    return len(callbacks)


def run(args: argparse.Namespace, folder: Path) -> list[Row]:
    """Seed once, then alternate the bare app's turns with the in-process rounds."""
    env = relay_environment(folder / "seeded", INGEST_ENV)
    paths_file = folder / "seeded.paths"
    # Enough pushes for every round of both settling measures; the bare app ignores its paths.
    seed_with(None, env, folder, "ingest_seed.py", str(2 * args.rounds * args.callbacks + 2000),
              str(paths_file))  # fmt: skip
    seeded = load_settings(env)
    lines = paths_file.read_text().splitlines()
    callbacks = [Callback.from_line(line) for line in lines]
    bare = bare_app(folder, lines)
    os.sched_setaffinity(0, {SERVER_CPU})  # the in-process rounds share CPU 0 with the servers
    figures: dict[str, list[float]] = {"parse": [], "statements": [], "store": [], "bare": []}
    try:
        for turn in range(args.rounds):
            mine = callbacks[2 * turn * args.callbacks : 2 * (turn + 1) * args.callbacks]
            first, second = mine[: args.callbacks], mine[args.callbacks :]
            cpu_before = bare.cpu_s
            load_turn(bare, folder, args.seconds)
            figures["bare"].append(1e6 * (bare.cpu_s - cpu_before) / bare.turns[-1]["requests"])
            figures["parse"].append(cpu_per_item(parse_only, first))
            copy = copy_store(seeded, folder / f"statements-{turn}")
            figures["statements"].append(cpu_per_item(statements_only, copy, first, args.group))
            copy = copy_store(seeded, folder / f"store-{turn}")
            figures["store"].append(cpu_per_item(store_ingest, copy, second, args.group))
            print(f"round {turn + 1}: " + ", ".join(
                f"{name} {values[-1]:.1f} us" for name, values in figures.items()
            ), file=sys.stderr)  # fmt: skip
    finally:
        bare.process.terminate()
        bare.process.wait()
    return rows_for({name: statistics.median(values) for name, values in figures.items()}, args)


def rows_for(median: dict[str, float], args: argparse.Namespace) -> list[Row]:
    """The parts, their sum, and the budget 0.20 of the bare app leaves a callback."""
    floor = median["bare"] + median["parse"] + median["statements"]
    budget = 5 * median["bare"]
    rounds = f"median of {args.rounds} rounds"
    return [
        Row("bare ASGI request (served, wrk -c32)", f"{median['bare']:.1f} us CPU", "", None),
        Row("strict parse, shape check, token hash", f"{median['parse']:.1f} us", "", None),
        Row(
            f"SQL alone: statements + durable commit, groups of {args.group}",
            f"{median['statements']:.1f} us ({rounds})",
            "",
            None,
        ),
        Row(
            "floor: bare request + parse + SQL",
            f"{floor:.1f} us; the budget 0.20 of the bare app leaves a callback: {budget:.1f} us",
            "",
            None,
        ),
        Row(
            f"the store's whole ingest through its writer, groups of {args.group}",
            f"{median['store']:.1f} us (parse included; {rounds}); "
            f"with the bare request: {median['store'] + median['bare']:.1f} us",
            "",
            None,
        ),
    ]


def main() -> int:
    """Parse options, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=4000, help="per in-process round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--group", type=int, default=16, help="callbacks per commit")
    parser.add_argument("--seconds", type=float, default=8.0, help="each bare app turn")
    args = parser.parse_args()
    return pinned_bench("bench-ingest-floor-", lambda folder: run(args, folder))


if __name__ == "__main__":
    sys.exit(main())
