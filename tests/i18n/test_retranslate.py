"""Recognising a shown text as a message, formatted or not, and giving it in another language."""

from __future__ import annotations

import gettext

from bucket_desktop.i18n.retranslate import Retranslator


class Catalog(gettext.NullTranslations):
    """A tiny Swahili catalog, plural forms as in Kiswahili (n != 1)."""

    def __init__(self, messages: dict[str, str], plurals: dict[str, tuple[str, str]]) -> None:
        super().__init__()
        self.messages = messages
        self.plurals = plurals

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        forms = self.plurals.get(msgid1)
        if forms is None:
            return msgid1 if n == 1 else msgid2
        return forms[0] if n == 1 else forms[1]


ENGLISH = gettext.NullTranslations()
SWAHILI = Catalog(
    {
        "Save": "Hifadhi",
        "Sent {amount} to {phone}.": "Umetuma {amount} kwa {phone}.",
        "Paid ({paid}). Give the customer this voucher.": "Imelipwa ({paid}). Mpe mteja vocha hii.",
        "M-PESA receipt {receipt}": "risiti ya M-PESA {receipt}",
        "{first} and {second}": "{first} na {second}",
        "Found {found}.": "Imepatikana {found}.",
        "Trying again in {count:,} s.": "Inajaribu tena baada ya sekunde {count:,}.",
    },
    {"{count} payment": ("Malipo {count}", "Malipo {count}")},
)
SEEN: dict[str, str | None] = {
    "Save": None,
    "Sent {amount} to {phone}.": None,
    "Paid ({paid}). Give the customer this voucher.": None,
    "M-PESA receipt {receipt}": None,
    "{first} and {second}": None,
    "Found {found}.": None,
    "Trying again in {count:,} s.": None,
    "{count} payment": "{count} payments",
    "Not translated {x}": None,
}


def test_plain_and_formatted_texts_both_ways() -> None:
    to_swahili = Retranslator(ENGLISH, SWAHILI, SEEN)
    to_english = Retranslator(SWAHILI, ENGLISH, SEEN)
    assert to_swahili("Save") == "Hifadhi"
    assert to_swahili("Sent KES 50 to 0712 345 678.") == "Umetuma KES 50 kwa 0712 345 678."
    assert to_english("Umetuma KES 50 kwa 0712 345 678.") == "Sent KES 50 to 0712 345 678."
    assert to_english("Hifadhi") == "Save"


def test_a_value_that_is_itself_a_message_is_translated_too() -> None:
    to_swahili = Retranslator(ENGLISH, SWAHILI, SEEN)
    shown = "Paid (M-PESA receipt QK12ABC34). Give the customer this voucher."
    assert to_swahili(shown) == "Imelipwa (risiti ya M-PESA QK12ABC34). Mpe mteja vocha hii."


def test_plurals_take_the_count_from_the_text() -> None:
    to_swahili = Retranslator(ENGLISH, SWAHILI, SEEN)
    assert to_swahili("1 payment") == "Malipo 1"
    assert to_swahili("3 payments") == "Malipo 3"
    assert to_swahili("Trying again in 1,200 s.") == "Inajaribu tena baada ya sekunde 1,200."


def test_unknown_texts_and_typed_data_stay() -> None:
    to_swahili = Retranslator(ENGLISH, SWAHILI, SEEN)
    assert to_swahili("Kibera WiFi") == "Kibera WiFi"
    assert to_swahili("") == ""
    # A message without a translation comes out as it went in.
    assert to_swahili("Not translated here") == "Not translated here"


def test_lists_and_marked_lines_are_translated_piece_by_piece() -> None:
    to_swahili = Retranslator(ENGLISH, SWAHILI, SEEN)
    shown = "✔  Save\n–  Sent KES 5 to 0700 000 001.\n•  Kibera WiFi"
    assert to_swahili(shown) == "✔  Hifadhi\n–  Umetuma KES 5 kwa 0700 000 001.\n•  Kibera WiFi"
    assert to_swahili("30 Nov 2026 · Save") == "30 Nov 2026 · Hifadhi"


def test_a_message_of_few_words_between_values_never_bends_a_sentence() -> None:
    to_swahili = Retranslator(ENGLISH, SWAHILI, SEEN)
    # Not a message: "{first} and {second}" must not make it "The key na secret work".
    sentence = "The consumer key and secret work, but the relay is not reached."
    assert to_swahili(sentence) == sentence
    assert to_swahili(f"✔  {sentence}") == f"✔  {sentence}"
    # As the value of a message it is that message.
    assert to_swahili("Found sandbox and test.") == "Imepatikana sandbox na test."
