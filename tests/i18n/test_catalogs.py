"""The catalogs: complete, in step with the code, placeholders as in English; and loading."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Message

from bucket_desktop.i18n import areas, tooling
from bucket_desktop.i18n.catalogs import load_translations


@pytest.mark.parametrize("language", areas.languages())
@pytest.mark.parametrize("area", areas.AREAS, ids=lambda area: area.name)
def test_catalog_is_complete_and_matches_the_code(area: areas.Area, language: str) -> None:
    problems = tooling.check(area, language)
    listing = "\n".join(str(p) for p in problems[:40])
    assert not problems, f"{len(problems)} problems (scripts/translations.py check):\n{listing}"


def test_swahili_has_catalogs() -> None:
    assert "sw" in areas.languages()
    for area in areas.AREAS:
        assert area.po_file("sw").is_file()


def test_placeholder_check_catches_a_renamed_or_broken_field() -> None:
    ok = Message("Sent {amount} to {phone}", "Umetuma {amount} kwa {phone}")
    renamed = Message("Sent {amount} to {phone}", "Umetuma {kiasi} kwa {phone}")
    broken = Message("Sent {amount}", "Umetuma {amount")
    missing = Message("Sent {amount}", "")
    assert tooling.message_problems(ok) == []
    assert "placeholders" in tooling.message_problems(renamed)[0]
    assert "not a valid format string" in tooling.message_problems(broken)[0]
    assert tooling.message_problems(missing) == ["not translated"]


def test_plural_singular_may_leave_the_count_out() -> None:
    plural = Message(("{count} payment", "{count} payments"), ("Malipo moja", "Malipo {count}"))
    wrong = Message(("{count} payment", "{count} payments"), ("Malipo {n}", "Malipo {count}"))
    assert tooling.message_problems(plural) == []
    assert tooling.message_problems(wrong)


def test_areas_are_merged_the_first_one_winning(tmp_path: Path) -> None:
    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    (folder / "core.po").write_text(
        header + 'msgid "Save"\nmsgstr "Hifadhi"\n\nmsgid "Both"\nmsgstr "Core"\n', "utf-8"
    )
    (folder / "pages.po").write_text(
        header
        + 'msgid "Copy"\nmsgstr "Nakili"\n\nmsgid "Both"\nmsgstr "Pages"\n\n'
        + '#, fuzzy\nmsgid "Close"\nmsgstr "Kosa"\n',
        "utf-8",
    )
    translations = load_translations("xx", tmp_path)
    assert translations.gettext("Save") == "Hifadhi"
    assert translations.gettext("Copy") == "Nakili"
    assert translations.gettext("Both") == "Core"
    assert translations.gettext("Close") == "Close"  # fuzzy: not used
    assert translations.gettext("Unknown") == "Unknown"


def test_compiled_catalogs_are_preferred_and_equal_to_the_po(tmp_path: Path) -> None:
    written = tooling.compile_catalogs("sw", tmp_path)
    assert {path.name for path in written} == {"core.mo", "pages.mo"}
    from_mo = load_translations("sw", tmp_path)
    from_po = load_translations("sw")
    for area in areas.AREAS:
        for message in tooling.read_catalog(area.po_file("sw")):
            if message.id and isinstance(message.id, str):
                assert from_mo.gettext(message.id) == from_po.gettext(message.id)
