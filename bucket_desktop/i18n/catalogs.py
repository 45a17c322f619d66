"""Loading a language's catalogs: compiled .mo files where the build made them (the frozen app),
otherwise the .po files themselves (a fresh clone runs without a compile step)."""

from __future__ import annotations

import gettext
import io
import logging
from pathlib import Path

from bucket_desktop.i18n.areas import AREAS, DOMAIN_DIR, LOCALE_DIR

log = logging.getLogger(__name__)


def load_translations(language: str, locale_dir: Path = LOCALE_DIR) -> gettext.NullTranslations:
    """Every area's catalog of `language` merged into one; English where a file is missing."""
    merged: gettext.NullTranslations | None = None
    folder = locale_dir / language / DOMAIN_DIR
    for area in AREAS:
        catalog = _load_area(folder, area.name)
        if catalog is None:
            continue
        if merged is None:
            merged = catalog
        else:
            # Fallback order = area order: core first, then pages.
            merged.add_fallback(catalog)
    return merged if merged is not None else gettext.NullTranslations()


def _load_area(folder: Path, name: str) -> gettext.NullTranslations | None:
    compiled = folder / f"{name}.mo"
    if compiled.is_file():
        with compiled.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    source = folder / f"{name}.po"
    if source.is_file():
        return gettext.GNUTranslations(io.BytesIO(compile_po(source)))
    log.warning("No catalog %s in %s; its texts stay in English.", name, folder)
    return None


def compile_po(source: Path) -> bytes:
    """The .mo bytes of a .po file (fuzzy entries left out, as msgfmt does)."""
    # Babel only here and in the formatting functions: the relay imports the services (and
    # so this package) but never loads a catalog, so it does not need Babel installed.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with source.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()
