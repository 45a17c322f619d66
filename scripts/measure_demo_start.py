"""Measure a demo run as a new user meets it: `make run` to a signed-in window, and closing.

Usage: .venv/bin/python scripts/measure_demo_start.py [--runs 3]
Each run starts `python -m bucket_desktop --demo` offscreen in a new process (what `make run`
does once `.venv` exists) and reports three moments: the window shown, the window signed in as
the demo owner (the simulator and the relay started, the feed live), and, after the window is
closed, the process gone with none of its demo children left running.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CHILD = """
import sys, time
from PySide6.QtCore import QTimer
from bucket_desktop.app import main
from bucket_desktop.ui.payments.payments_page_view import PaymentsPageView

def on_shown(view):
    print(f"shown {time.time():.6f}", flush=True)
    payments = view.findChild(PaymentsPageView)
    def poll():
        if payments.connection.text() == "● Live" and view.identity_label.text() == "Owner · Demo":
            print(f"signed-in {time.time():.6f}", flush=True)
            print(f"closing {time.time():.6f}", flush=True)
            view.close()
        else:
            QTimer.singleShot(20, poll)
    poll()

sys.exit(main(["--demo"], on_window_shown=on_shown))
"""


def one_run() -> dict[str, float]:
    """Seconds from the spawn to each reported moment, and from closing to the process gone."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.time()
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    out, err = process.communicate(timeout=120)
    ended = time.time()
    moments = {}
    for line in out.splitlines():
        name, _, stamp = line.partition(" ")
        moments[name] = float(stamp)
    if "closing" not in moments:
        raise RuntimeError(f"the demo did not sign in:\n{err[-2000:]}")
    return {
        "shown": moments["shown"] - started,
        "signed-in": moments["signed-in"] - started,
        "close": ended - moments["closing"],
    }


def main() -> int:
    """Run the measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    for name in ("shown", "signed-in", "close"):
        values = [run[name] for run in runs]
        print(
            f"{name:>9}: median {statistics.median(values):.2f} s, "
            f"best {min(values):.2f} s, worst {max(values):.2f} s ({args.runs} runs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
