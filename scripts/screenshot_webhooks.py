"""Save pictures of the Webhooks page in demo mode: the add dialog, the secret shown once, and
the page with two endpoints (one answering, one failing) and their delivery logs, at 1024x600,
1366x768 and 1920x1080; lists any widget cut off (and fails if there is one).

Two receivers run on loopback for the pictures: one answers 200 (after one refusal), the other
always 500. Usage: .venv/bin/python scripts/screenshot_webhooks.py [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from bucket_desktop.app import main
from bucket_desktop.ui.charge.charge_page_view import ChargePageView
from bucket_desktop.ui.common.fit_check import clipped_widgets
from bucket_desktop.ui.payments.payments_page_view import PaymentsPageView
from bucket_desktop.ui.shell.main_window_view import MainWindowView
from bucket_desktop.ui.webhooks.dialogs import EndpointDialog, SecretDialog
from bucket_desktop.ui.webhooks.page_view import WebhooksPageView

TIMEOUT_S = 60.0
SIZES = ((1024, 600), (1366, 768), (1920, 1080))
_tasks: set[asyncio.Task[None]] = set()
T = TypeVar("T", bound=QWidget)


@contextmanager
def receiver(answer: Callable[[int], tuple[int, bytes]]) -> Iterator[int]:
    """A loopback HTTP receiver answering with `answer(n)`; yields its port."""
    count = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            count[0] += 1
            status, body = answer(count[0])
            self.send_response(status)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


async def until(condition: Callable[[], object], what: str) -> None:
    """Wait for `condition()` to become true, or give up with a message."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT_S
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


def dialog_of(kind: type[T]) -> T | None:
    """The visible top-level dialog of this class, if any."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


def save(widget: QWidget, out_dir: Path, name: str) -> None:
    """Grab a widget into out_dir/name.png."""
    path = out_dir / f"{name}.png"
    widget.grab().save(str(path))
    print(f"saved {path}")


def show(view: MainWindowView, title: str) -> None:
    """Pick a page in the sidebar by its title."""
    for row in range(view.sidebar.count()):
        if view.sidebar.item(row).text() == title:
            view.sidebar.setCurrentRow(row)
            return
    raise LookupError(title)


async def add_endpoint(
    page: WebhooksPageView, url: str, description: str, out_dir: Path | None
) -> None:
    """Add an endpoint through its dialog; picture both dialogs when `out_dir` is given."""
    before = page.endpoints.rowCount()
    page.add_button.click()
    await until(lambda: dialog_of(EndpointDialog), "the endpoint dialog")
    dialog = dialog_of(EndpointDialog)
    assert dialog is not None
    dialog.url_edit.setText(url)
    dialog.description_edit.setText(description)
    dialog.event_boxes["payment.paid"].setChecked(True)
    dialog.event_boxes["access.issued"].setChecked(True)
    if out_dir is not None:
        save(dialog, out_dir, "webhooks-add-dialog")
    dialog.ok_button.click()
    await until(lambda: dialog_of(SecretDialog), "the secret dialog")
    secret = dialog_of(SecretDialog)
    assert secret is not None
    if out_dir is not None:
        secret.copy_button.click()
        save(secret, out_dir, "webhooks-secret-dialog")
    secret.accept()
    await until(lambda: page.endpoints.rowCount() > before, "the new endpoint")


async def charge(view: MainWindowView, phone: str) -> None:
    """Charge a customer from the counter, as an attendant would."""
    show(view, "Charge customer")
    counter = view.findChild(ChargePageView)
    assert counter is not None
    button = counter.plans_layout.itemAt(1).widget()
    assert isinstance(button, QPushButton)
    button.click()
    counter.phone_edit.setText(phone)
    counter.send_button.click()
    await asyncio.sleep(0.5)


async def stage(view: MainWindowView, out_dir: Path) -> list[str]:
    """Add two endpoints, make payments and test events, and picture the page."""
    payments = view.findChild(PaymentsPageView)
    page = view.findChild(WebhooksPageView)
    assert payments is not None and page is not None
    await until(lambda: payments.connection.text() == "● Live", "the demo to go live")
    view.resize(*SIZES[0])
    with (
        receiver(lambda n: (500, b"database is locked") if n == 1 else (200, b"ok")) as portal,
        receiver(lambda n: (500, b'{"error":"unknown route /billing/mpesa"}')) as billing,
    ):
        show(view, "Webhooks")
        await add_endpoint(
            page, f"http://localhost:{portal}/nuxbill/callback", "PHPNuxBill", out_dir
        )
        await add_endpoint(page, f"http://localhost:{billing}/billing/mpesa", "Old billing", None)
        for phone in ("0708 374 149", "0712 345 678", "0700 000 002"):
            await charge(view, phone)
        show(view, "Webhooks")
        page.endpoints.selectRow(0)
        page.test_button.click()
        await asyncio.sleep(8)  # the first refusal is retried after 5 s
        page.refresh_button.click()
        await asyncio.sleep(1.5)
        page.endpoints.selectRow(0)
        page.refresh_button.click()
        await until(lambda: page.log.rowCount() >= 4, "the delivery log")
        problems: list[str] = []
        for width, height in SIZES:
            view.resize(width, height)
            await asyncio.sleep(0.5)
            problems += [f"Webhooks at {width}x{height}: {p}" for p in clipped_widgets(view)]
            save(view, out_dir, f"webhooks-page-{width}x{height}")
        page.endpoints.selectRow(1)
        page.refresh_button.click()
        await asyncio.sleep(1.5)
        view.resize(*SIZES[0])
        await asyncio.sleep(0.5)
        save(view, out_dir, "webhooks-page-failing-1024x600")
    return problems


def run() -> int:
    """Parse arguments and run the demo once."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=Path(tempfile.gettempdir()) / "shots")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    def on_shown(view: MainWindowView) -> None:
        async def staged() -> None:
            try:
                problems.extend(await stage(view, args.out_dir))
            finally:
                view.close()

        _tasks.add(asyncio.ensure_future(staged()))

    with tempfile.TemporaryDirectory() as config:
        status = main(["--demo", "--data-dir", config], on_window_shown=on_shown)
    for problem in problems:
        print(f"cut off: {problem}")
    return status or (1 if problems else 0)


if __name__ == "__main__":
    sys.exit(run())
