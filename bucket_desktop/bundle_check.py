"""`bucket-desktop self-test`: checks that an installed bundle works on this machine.

    self-test demo      open the app in demo mode, charge the simulator's "paid" phone on the
                        Charge customer page, wait for the receipt on the STK status page, close
    self-test keyring   find keyring's bundled backends and keep a throwaway secret where the app
                        would keep its keys: the OS keyring, or else the passphrase key file

Each prints one JSON object per line ({"event": ...}) so a script can follow it; the exit status
is 0 only when every step passed. The bundle smoke test (tests/test_bundle_smoke.py) runs both.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DEMO_TIMEOUT_S = 90.0
PAID_PHONE = "0708374149"  # the simulator's phone that always pays
SELF_TEST_SERVICE = "payment-bucket-self-test"
KEYRING_BACKENDS = (
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
    "keyring.backends.chainer",
    "keyring.backends.fail",
    "keyring.backends.null",
)


def report(event: str, **details: Any) -> None:
    """One line of JSON on stdout, flushed so a watching script sees it at once."""
    print(json.dumps({"event": event, **details}), flush=True)


def main(argv: Sequence[str]) -> int:
    """Run one self-test; 0 when it passed."""
    parser = argparse.ArgumentParser(prog="bucket-desktop self-test")
    parser.add_argument("check", choices=["demo", "keyring"])
    parser.add_argument("--timeout", type=float, default=DEMO_TIMEOUT_S)
    args = parser.parse_args(argv)
    if args.check == "keyring":
        return check_keyring()
    return DemoCheck(args.timeout).run()


def check_keyring() -> int:
    """Keep, read back and forget a throwaway secret where the app would keep its keys."""
    import keyring

    from bucket_desktop.services.keystore import KeyringStore, KeyringUnavailable

    missing = [name for name in KEYRING_BACKENDS if not _importable(name)]
    backend = keyring.get_keyring()
    report("keyring-backends", missing=missing, chosen=type(backend).__module__)
    try:
        store: Any = KeyringStore.from_system(SELF_TEST_SERVICE)
        kind = "keyring"
    except KeyringUnavailable as error:
        report("keyring-refused", reason=str(error))
        store, kind = None, "passphrase-file"
    with tempfile.TemporaryDirectory(prefix="payment-bucket-self-test-") as folder:
        ok = _round_trip(store) if store is not None else _passphrase_round_trip(Path(folder))
    report("keyring-round-trip", store=kind, ok=ok)
    return 0 if ok and not missing else 1


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _round_trip(store: Any) -> bool:
    value = secrets.token_urlsafe(24)
    store.set("round-trip", value)
    kept = bool(store.get("round-trip") == value)
    store.delete("round-trip")
    return kept and store.get("round-trip") is None


def _passphrase_round_trip(folder: Path) -> bool:
    from bucket_desktop.services.keystore import WrongPassphrase
    from bucket_desktop.services.passphrase_keys import PassphraseKeyFile

    passphrase = secrets.token_urlsafe(12)
    key_file = PassphraseKeyFile(folder / "keys.json")
    value = secrets.token_urlsafe(24)
    key_file.create(passphrase).set("round-trip", value)
    try:
        key_file.unlock(passphrase + "x")
        return False  # a wrong passphrase must not open the file
    except WrongPassphrase:
        pass
    return key_file.unlock(passphrase).get("round-trip") == value


class DemoCheck:
    """Runs the app in demo mode and charges one customer through its own pages."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.started = time.perf_counter()
        self.failure: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def run(self) -> int:
        """Run the app until the check closes its window."""
        from bucket_desktop.app import main as app_main

        with tempfile.TemporaryDirectory(prefix="payment-bucket-self-test-") as config:
            status = app_main(["--demo", "--data-dir", config], on_window_shown=self.on_shown)
        report("closed", status=status, failure=self.failure)
        return 0 if status == 0 and self.failure is None else 1

    def on_shown(self, view: Any) -> None:
        """The window is on screen: note the time, then drive it."""
        report("window-shown", seconds=round(time.perf_counter() - self.started, 3))
        task = asyncio.ensure_future(self._drive(view))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drive(self, view: Any) -> None:
        try:
            await self._charge_and_wait_paid(view)
        except Exception as error:  # any failure is reported, then the window closes
            banner = view.banner.text() if hasattr(view, "banner") else ""
            shown = f" (the window says: {banner})" if banner else ""
            self.failure = f"{type(error).__name__}: {error}{shown}"
            report("failed", reason=self.failure)
        finally:
            view.close()

    async def _charge_and_wait_paid(self, view: Any) -> None:
        from bucket_desktop.ui.charge.charge_page_view import ChargePageView
        from bucket_desktop.ui.stk_status.stk_status_page_view import StkStatusPageView

        charge = view.findChild(ChargePageView)
        status = view.findChild(StkStatusPageView)
        if charge is None or status is None:
            # i18n: keep (the self-test's report, read by the build, not by a person at a desk)
            raise LookupError("the window has no Charge customer or STK status page")
        # Signed in, and the starting screen (pages disabled) is over.
        await self._until(
            lambda: (
                view.identity_label.text() not in ("Not signed in", "Starting…")
                and view.pages.isEnabled()
            ),
            "sign-in",
        )
        report("demo-ready", seconds=round(time.perf_counter() - self.started, 3))
        charge.phone_edit.setText(PAID_PHONE)
        charge.amount_edit.setText("10")
        charge.reference_edit.setText("SELFTEST")  # i18n: keep (typed in as a person would)
        charge.desc_edit.setText("Bundle check")  # i18n: keep (typed in as a person would)
        charge.send_button.click()
        await self._until(lambda: bool(status.receipt.text().strip()), "the M-PESA receipt")
        report("paid", receipt=status.receipt.text().strip(), charge_status=charge.status.text())

    async def _until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.perf_counter() + self.timeout_s
        while not condition():
            if time.perf_counter() > deadline:
                # i18n: keep (the self-test's report, read by the build)
                raise TimeoutError(f"gave up waiting for {what} after {self.timeout_s:.0f} s")
            await asyncio.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
