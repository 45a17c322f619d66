"""The desktop's language: one gettext catalog for the Qt-free services and the UI alike.

Every text a person reads goes through these functions:

- `_("Phone number")` translates at the moment it is called, so call it where the text is
  shown (in a view's constructor, in the function that builds a sentence), never at import.
- `N_("Paid")` only marks a module-level constant for extraction; translate it where it is
  used with `_(CONSTANT)`. Constants translated at import would stay in the language the app
  started in.
- `ngettext("{count} payment", "{count} payments", count).format(count=count)` for plurals.

Placeholders are `str.format` names (`{amount}`), never positional, so a translation may put
them in another order.

Changing the language while the app runs (Settings page) does not rebuild anything: the
window's widgets keep their state and `bucket_desktop.i18n.live.retranslate_widgets` swaps
every text on screen that came out of `_()` / `ngettext()` for its new translation, the
formatted ones included (it recognises "Sent KES 50 to 0712…" as the message
"Sent {amount} to {phone}" and formats it again). So pages need no retranslate code of their
own, as long as they follow three rules:

1. Translate at use, as above; never keep a translated text in a Python attribute to show it
   again later (keep the `N_` constant or the values, and call `_()` when showing).
2. Build a shown text from ONE message with named placeholders, not by gluing sentences
   together (`_("{error} Try again.").format(...)`, not `str(error) + " Try again."`): a glued
   text is not recognised and stays in the old language until the page next sets it.
3. Table models answer `data()` / `headerData()` with `_()` at call time; the switch emits
   `headerDataChanged` and `dataChanged` on every model shown, and repaints custom painting.

Catalogs: `bucket_desktop/locale/<lang>/LC_MESSAGES/*.po`, one file per area of the code
(`bucket_desktop/i18n/areas.py`), merged into one catalog when loaded. Tools:
`scripts/translations.py` (extract, update, compile, check, untranslated).

Dates, times and amounts: `bucket_desktop.i18n.formatting` (Babel's locale data).
"""

from __future__ import annotations

import gettext
import locale
import os
from collections.abc import Mapping

from bucket_desktop.i18n.catalogs import load_translations

ENGLISH = "en"
SWAHILI = "sw"
# Code -> the language's own name, as shown in the language chooser (never translated: a
# person looks for their language's name in their language).
LANGUAGES: Mapping[str, str] = {ENGLISH: "English", SWAHILI: "Kiswahili"}


class _Current:
    """The process's language: like the C locale, one for the whole app.

    Module-level on purpose: every service sentence and every widget text reads it, and
    passing a translator through every constructor and exception would buy nothing (the app
    shows one language at a time).
    """

    code: str = ENGLISH
    translations: gettext.NullTranslations = gettext.NullTranslations()
    # Every message translated so far (singular -> plural or None): what the live switch looks
    # for on screen. Bounded by the number of messages in the code.
    seen: dict[str, str | None] = {}  # noqa: RUF012 (one process-wide record, on purpose)


def _(message: str) -> str:
    """The message in the current language."""
    _Current.seen.setdefault(message, None)
    return _Current.translations.gettext(message)


def N_(message: str) -> str:  # the name gettext's extractors know
    """Marks a message for extraction without translating it (see the module's note)."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural message for `count`, in the current language."""
    _Current.seen[singular] = plural
    return _Current.translations.ngettext(singular, plural, count)


def seen_messages() -> dict[str, str | None]:
    """The messages translated so far in this process: singular -> plural (None if none)."""
    return dict(_Current.seen)


def current_language() -> str:
    """The code of the language in use ("en", "sw")."""
    return _Current.code


def current_translations() -> gettext.NullTranslations:
    """The catalog in use (English: the identity)."""
    return _Current.translations


def set_language(code: str) -> str:
    """Use `code` from now on (unknown codes mean English); returns the code in use."""
    code = code if code in LANGUAGES else ENGLISH
    translations = gettext.NullTranslations() if code == ENGLISH else load_translations(code)
    _Current.code = code
    _Current.translations = translations
    return code


def system_language(environ: Mapping[str, str] = os.environ) -> str:
    """The language of this computer's user when we have it, else English (first run)."""
    candidates: list[str] = []
    # gettext's own order: LANGUAGE (a list), then LC_ALL, LC_MESSAGES, LANG.
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            candidates.extend(value.split(":"))
            break
    if not candidates:
        # Windows and macOS set none of those; the OS locale names the user's language.
        system, _encoding = locale.getlocale()
        candidates.append(system or "")
    for candidate in candidates:
        code = candidate.split(".")[0].split("_")[0].split("-")[0].lower()
        if code in ("swahili", "kiswahili"):
            code = SWAHILI
        if code in LANGUAGES:
            return code
    return ENGLISH


__all__ = [
    "ENGLISH",
    "LANGUAGES",
    "N_",
    "SWAHILI",
    "_",
    "current_language",
    "current_translations",
    "ngettext",
    "seen_messages",
    "set_language",
    "system_language",
]
