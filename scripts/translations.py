"""The translation catalogs: extract, update, compile, check, and list untranslated texts.

python scripts/translations.py update [--area core|pages] [--language sw]
    extract the English messages from the code into locale/<area>.pot and merge them into
    locale/<lang>/LC_MESSAGES/<area>.po (new: untranslated; changed: fuzzy; gone: dropped)
python scripts/translations.py check [--area ...] [--language ...]
    list what is missing, fuzzy, stale or has wrong placeholders (exit 1 if anything)
python scripts/translations.py untranslated [PATH ...]
    list texts a person reads that are not wrapped in _() / N_() / ngettext()
    (default: all of bucket_desktop; give a folder or files to see one area's list)
python scripts/translations.py compile [--dest DIR] [--language ...]
    write the .mo files (build.spec bundles them; the app in a clone reads the .po)
python scripts/translations.py init LANG
    start a new language: a .po per area from the templates
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bucket_desktop.i18n import areas, tooling  # noqa: E402
from bucket_desktop.i18n.untranslated import check_paths  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("update", "check", "compile"):
        command = commands.add_parser(name)
        command.add_argument("--area", choices=[a.name for a in areas.AREAS])
        command.add_argument("--language", help="default: every language with a catalog")
        if name == "compile":
            command.add_argument("--dest", type=Path, default=ROOT / "build" / "locale")
    commands.add_parser("untranslated").add_argument("paths", nargs="*", type=Path)
    commands.add_parser("init").add_argument("language")
    args = parser.parse_args(argv)

    if args.command == "untranslated":
        findings = check_paths(args.paths or [areas.PACKAGE_ROOT])
        for finding in findings:
            print(finding)
        print(f"{len(findings)} untranslated text(s)")
        return 1 if findings else 0
    if args.command == "init":
        for area in areas.AREAS:
            tooling.update(area, args.language)
        print(f"Catalogs for {args.language} made: translate them, then run check.")
        return 0
    chosen = [a for a in areas.AREAS if args.area in (None, a.name)]
    languages = [args.language] if args.language else areas.languages()
    if args.command == "update":
        for language in languages:
            for area in chosen:
                catalog = tooling.update(area, language)
                print(f"{area.po_file(language).relative_to(ROOT)}: {len(catalog)} messages")
        return 0
    if args.command == "compile":
        for language in languages:
            for path in tooling.compile_catalogs(language, args.dest):
                print(path)
        return 0
    problems = [p for lang in languages for area in chosen for p in tooling.check(area, lang)]
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
