"""Which source files feed which catalog file: one .po per area, so translators of different
parts of the app never edit the same file. The loader merges them into one catalog."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # bucket_desktop/
LOCALE_DIR = PACKAGE_ROOT / "locale"
DOMAIN_DIR = "LC_MESSAGES"
# The gettext keywords: `_`, `N_` (marks only), `ngettext` (singular, plural, count).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# The settings page belongs to the core area: it is where the language itself is chosen.
_CORE_PAGES = frozenset({"ui/settings/settings_page.py", "ui/settings/settings_page_view.py"})


@dataclass(frozen=True, slots=True)
class Area:
    """One catalog file and the sources whose texts it holds."""

    name: str
    description: str

    def holds(self, relative: PurePosixPath) -> bool:
        """True when the file (relative to bucket_desktop/) feeds this area's catalog."""
        return area_of(relative) == self.name

    def po_file(self, language: str) -> Path:
        """This area's catalog for `language`."""
        return LOCALE_DIR / language / DOMAIN_DIR / f"{self.name}.po"

    def template(self) -> Path:
        """This area's template (.pot): the English messages, for a new language."""
        return LOCALE_DIR / f"{self.name}.pot"


CORE = Area("core", "services, top-level modules and the settings page")
PAGES = Area("pages", "the pages and dialogs under bucket_desktop/ui")
# Order matters when loading: an earlier area's translation wins for a message in both.
AREAS = (CORE, PAGES)


def area_of(relative: PurePosixPath) -> str | None:
    """The area of a Python file given relative to bucket_desktop/, or None (not extracted)."""
    text = relative.as_posix()
    if not text.endswith(".py"):
        return None
    if text.startswith("ui/") and text not in _CORE_PAGES:
        return PAGES.name
    return CORE.name


def source_files(area: Area) -> list[Path]:
    """Every Python file of the area, sorted (stable extraction order)."""
    files = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        if area.holds(PurePosixPath(path.relative_to(PACKAGE_ROOT).as_posix())):
            files.append(path)
    return files


def languages() -> list[str]:
    """The languages that have catalogs (folders under bucket_desktop/locale)."""
    return sorted(p.name for p in LOCALE_DIR.iterdir() if (p / DOMAIN_DIR).is_dir())
