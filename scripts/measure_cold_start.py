"""Measure cold start: from launching a fresh interpreter to the main window on screen.

Usage: .venv/bin/python scripts/measure_cold_start.py [--runs 5]
Each run starts `bucket-desktop --demo` offscreen in a new process and stops the clock when the
window has been shown and Qt has processed its first events. The demo's simulator and relay start
only after the window is up, so they are not part of the figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = """
import sys, time
from PySide6.QtCore import QTimer
from bucket_desktop.app import main

def on_shown(view):
    def report():
        print(f"shown {time.time():.6f}", flush=True)
        view.close()
    QTimer.singleShot(0, report)

sys.exit(main(["--demo", "--data-dir", sys.argv[1]], on_window_shown=on_shown))
"""


def one_run(config_dir: str) -> float:
    """Seconds from spawning the process to the shown window."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.time()
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", CHILD, config_dir],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("shown "):
            return float(line.split()[1]) - started
    raise RuntimeError(f"the app did not report a shown window:\n{result.stderr[-2000:]}")


def main() -> int:
    """Run the measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as config:
        one_run(config)  # warm the OS file cache once, as after any earlier start
        times = [one_run(config) for _ in range(args.runs)]
    print(
        f"cold start to shown window over {args.runs} runs: "
        f"median {statistics.median(times):.2f} s, best {min(times):.2f} s, "
        f"worst {max(times):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
