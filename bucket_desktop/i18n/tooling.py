"""Extracting, updating, compiling and checking the catalogs (scripts/translations.py, tests).

Each area (bucket_desktop/i18n/areas.py) has a template `locale/<area>.pot` of its English
messages and one `locale/<lang>/LC_MESSAGES/<area>.po` per language. Locations are kept
without line numbers, so moving code does not rewrite the catalogs.
"""

from __future__ import annotations

import io
import string
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bucket_desktop.i18n.areas import AREAS, PACKAGE_ROOT, Area, source_files

PROJECT = "Payment Bucket"
COMMENT_TAGS = ("TRANSLATORS:",)
WIDTH = 100
_KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extract(area: Area) -> Catalog:
    """The English messages of an area, as found in its source files now."""
    catalog = Catalog(
        project=PROJECT,
        charset="utf-8",
        # i18n: keep (a file header for translators)
        header_comment=f"# English messages of {PROJECT}, extracted from the code.",
    )
    root = PACKAGE_ROOT.parent
    for path in source_files(area):
        relative = path.relative_to(root).as_posix()
        for lineno, message, comments, context in extract_from_file(
            "python", path, keywords=_KEYWORDS, comment_tags=COMMENT_TAGS, strip_comment_tags=True
        ):
            catalog.add(
                message,
                None,
                [(relative, lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def read_catalog(path: Path) -> Catalog:
    """A .po or .pot file."""
    with path.open("rb") as handle:
        return read_po(handle)


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Write a .po/.pot file the same way every time (no line numbers, sorted by place)."""
    buffer = io.BytesIO()
    write_po(
        buffer,
        catalog,
        width=WIDTH,
        include_lineno=False,
        ignore_obsolete=True,
        omit_header=False,
        sort_by_file=True,
    )
    text = buffer.getvalue()
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(text):
        return  # only the dates would change: keep the file (and the diff) as it is
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)


def _without_dates(text: bytes) -> bytes:
    lines = text.splitlines()
    return b"\n".join(line for line in lines if b"-Date:" not in line)


def update(area: Area, language: str) -> Catalog:
    """Write the area's template and bring its `language` catalog up to date with the code.

    New messages arrive untranslated; messages close to an old one arrive fuzzy with the old
    translation as a suggestion; messages gone from the code are dropped.
    """
    template = extract(area)
    write_catalog(area.template(), template)
    po_path = area.po_file(language)
    if po_path.exists():
        catalog = read_catalog(po_path)
    else:
        catalog = Catalog(
            locale=language,
            project=PROJECT,
            charset="utf-8",
            # i18n: keep (a file header for translators)
            header_comment=f"# {language} messages of {PROJECT}: see GLOSSARY.md beside this.",
            fuzzy=False,
        )
    catalog.update(template, update_header_comment=False)
    write_catalog(po_path, catalog)
    return catalog


def compile_catalogs(language: str, destination: Path) -> list[Path]:
    """Write each area's .mo for `language` into `destination` (fuzzy entries left out)."""
    written = []
    for area in AREAS:
        source = area.po_file(language)
        if not source.exists():
            continue
        target = (
            destination / source.parent.relative_to(PACKAGE_ROOT / "locale") / (f"{area.name}.mo")
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            write_mo(handle, read_catalog(source), use_fuzzy=False)
        written.append(target)
    return written


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a catalog."""

    file: Path
    msgid: str
    what: str

    def __str__(self) -> str:
        return f"{self.file.name}: {self.what}: {self.msgid!r}"


def check(area: Area, language: str) -> list[Problem]:
    """What keeps the area's `language` catalog from being complete and correct."""
    po_path = area.po_file(language)
    if not po_path.exists():
        return [Problem(po_path, "", "no catalog (run: scripts/translations.py update)")]
    catalog = read_catalog(po_path)
    template = extract(area)
    problems = []
    for message in template:
        if message.id and message.id not in catalog:
            problems.append(Problem(po_path, _first(message.id), "in the code, not in the catalog"))
    for message in catalog:
        if not message.id:
            continue
        key = _first(message.id)
        if message.id not in template:
            problems.append(Problem(po_path, key, "in the catalog, no longer in the code"))
        if message.fuzzy:
            problems.append(Problem(po_path, key, "fuzzy (check the translation, drop the flag)"))
        problems.extend(Problem(po_path, key, what) for what in message_problems(message))
    return problems


def message_problems(message: Message) -> list[str]:
    """Missing translations and placeholders that differ from the English."""
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    given = message.string if isinstance(message.string, tuple | list) else (message.string,)
    strings = [text for text in given if text]
    if not strings or len(strings) != len(given):
        return ["not translated"]
    problems = []
    try:
        wanted = set().union(*(placeholders(text) for text in ids))
        for text in strings:
            found = placeholders(text)
            # A singular may leave out {count} ("Malipo moja"); never add a new name.
            if found - wanted or (len(ids) == 1 and found != wanted):
                problems.append(f"placeholders {sorted(found)} instead of {sorted(wanted)}")
    except ValueError as error:
        problems.append(f"not a valid format string ({error})")
    return problems


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a str.format text (ValueError when its braces are broken)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _first(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]
