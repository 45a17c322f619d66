"""Suite-wide setup: headless Qt, and nothing touches the real user's folders or keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bucket_desktop.i18n import ENGLISH, current_language, set_language

# Set before any Qt import: CI has no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The app follows the system language on first run; the tests read the English texts whatever
# this machine's language is (a test that wants Kiswahili sets it, and is put back below).
os.environ["LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def english_after_each_test() -> Iterator[None]:
    """A test that switched the app's language must not leave it switched for the next."""
    yield
    if current_language() != ENGLISH:
        set_language(ENGLISH)
