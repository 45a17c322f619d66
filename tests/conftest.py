"""Suite-wide setup: headless Qt, and nothing touches the real user's folders or keyring."""

from __future__ import annotations

import os

# Set before any Qt import: CI has no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
