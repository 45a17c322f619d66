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
"""

from __future__ import annotations


def _(message: str) -> str:
    """The message in the current language."""
    return message


def N_(message: str) -> str:  # the name gettext's extractors know
    """Marks a message for extraction without translating it (see the module's note)."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural message for `count`, in the current language."""
    return singular if count == 1 else plural


__all__ = ["N_", "_", "ngettext"]
