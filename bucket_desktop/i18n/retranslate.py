"""Turning a text shown in the old language into the same text in the new one.

The live language switch keeps every widget (and so the work in progress) and swaps the texts
instead. A shown text is either a message as translated (`_("Save")` -> "Hifadhi") or a
message formatted with values (`_("Sent {amount} to {phone}").format(...)`). Both are found
from the messages translated so far (`seen_messages`): the first by a lookup, the second by
matching the old translation's literal parts and taking the values from between them, then
filling the new translation with the same values (translated too, when they are messages).
"""

from __future__ import annotations

import gettext
import re
import string
from dataclasses import dataclass

_MAX_DEPTH = 4  # a value that is itself a formatted message, inside one, inside one
_SEPARATORS = ("\n", " · ")
_MARKER = re.compile(r"^[^\w{(\"“'«]+")  # "✔  ", "–  ", "•  " before a sentence
# A message open at both ends with only a few letters between its values ("{first} and
# {second}") would match any sentence holding those letters ("The key and secret work"): it is
# tried only on values of another message, never on a shown text or a line of one.
_WEAK_ANCHOR = 12


@dataclass(frozen=True, slots=True)
class _Template:
    pattern: re.Pattern[str]
    anchor: str  # the longest literal part: a cheap test before the regex
    singular: str
    plural: str | None
    old_text: str
    weak: bool  # open at both ends with a short literal: for values only


class Retranslator:
    """Maps texts of the `old` catalog to the `new` one, for the messages in `seen`."""

    def __init__(
        self,
        old: gettext.NullTranslations,
        new: gettext.NullTranslations,
        seen: dict[str, str | None],
    ) -> None:
        self._new = new
        self._exact: dict[str, str] = {}
        templates: list[_Template] = []
        for singular, plural in seen.items():
            for count in (1, 2) if plural is not None else (1,):
                before = _render(old, singular, plural, count)
                after = _render(new, singular, plural, count)
                if not _has_fields(before):
                    if before != after:
                        self._exact.setdefault(before, after)
                    continue
                template = _template_of(before, singular, plural)
                if template is not None:
                    templates.append(template)
        # The most specific first: "Paid: {receipt}." before "{text}".
        templates.sort(key=lambda t: len(t.old_text) - t.old_text.count("{") * 8, reverse=True)
        self._templates = templates

    def __call__(self, text: str) -> str:
        """`text` in the new language, or `text` itself when it is not a known message."""
        return self._translate(text, 0)

    def _translate(self, text: str, depth: int, value: bool = False) -> str:
        """`text` (a value of another message when `value`) in the new language."""
        if not text or depth > _MAX_DEPTH:
            return text
        exact = self._exact.get(text)
        if exact is not None:
            return exact
        matched = self._match(text, depth, value)
        if matched is not None:
            return matched
        # Texts put together from several messages: lines of a list, "date · state", and a
        # marker before a message ("✔  Daraja accepted ..."): each piece on its own.
        for separator in _SEPARATORS:
            if separator in text:
                parts = text.split(separator)
                return separator.join(self._translate(part, depth + 1) for part in parts)
        marker = _MARKER.match(text)
        if marker is not None and marker.end() < len(text):
            rest = text[marker.end() :]
            return text[: marker.end()] + self._translate(rest, depth + 1)
        return text

    def _match(self, text: str, depth: int, value: bool) -> str | None:
        for template in self._templates:
            if template.anchor not in text or (template.weak and not value):
                continue
            match = template.pattern.fullmatch(text)
            if match is None:
                continue
            values = {
                k: self._translate(v, depth + 1, value=True) for k, v in match.groupdict().items()
            }
            count = _count_of(values)
            new_text = _render(self._new, template.singular, template.plural, count)
            try:
                return _fill(new_text, values)
            except (KeyError, ValueError):
                return text
        return None


def _render(
    translations: gettext.NullTranslations, singular: str, plural: str | None, count: int
) -> str:
    if plural is None:
        return translations.gettext(singular)
    return translations.ngettext(singular, plural, count)


def _has_fields(text: str) -> bool:
    try:
        return any(field is not None for _, field, _, _ in string.Formatter().parse(text))
    except ValueError:
        return False


def _template_of(text: str, singular: str, plural: str | None) -> _Template | None:
    parts: list[str] = []
    names: set[str] = set()
    literals: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return None
    for literal, field, _spec, _conversion in parsed:
        parts.append(re.escape(literal))
        literals.append(literal)
        if field is None:
            continue
        name = field if field.isidentifier() else f"f{len(names)}"
        # A name used twice must be the same value both times.
        parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.*?)")
        names.add(name)
    anchor = max(literals, key=len)
    if len(anchor.strip()) < 2:
        return None  # "{name}" alone, or "{a} {b}": would match anything
    open_ends = not literals[0] and parsed[-1][1] is not None
    weak = open_ends and len(anchor.strip()) < _WEAK_ANCHOR
    return _Template(re.compile("".join(parts), re.DOTALL), anchor, singular, plural, text, weak)


def _count_of(values: dict[str, str]) -> int:
    for name in ("count", "n", "number"):
        if name in values:
            digits = re.sub(r"[^\d]", "", values[name])
            if digits:
                return int(digits)
    return 1


def _fill(template: str, values: dict[str, str]) -> str:
    """`template` with its fields replaced by the values as they were shown (specs ignored:
    the values are already formatted text)."""
    out = []
    index = 0
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if field is None:
            continue
        name = field if field.isidentifier() else f"f{index}"
        index += 1
        out.append(values[name])
    return "".join(out)
