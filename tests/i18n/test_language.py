"""The language in use: system default, catalogs, formatting, and the services' sentences."""

from __future__ import annotations

from datetime import datetime

import pytest

from bucket_desktop.i18n import (
    ENGLISH,
    SWAHILI,
    _,
    current_language,
    ngettext,
    set_language,
    system_language,
)
from bucket_desktop.i18n.formatting import format_amount, format_date, format_number, format_time
from bucket_desktop.services.app_settings import AppSettings
from bucket_desktop.services.credentials import DarajaCredentials, Environment
from bucket_desktop.services.daraja_errors import classify
from bucket_desktop.services.mpesa_rules import RuleError, normalise_phone, result_meaning
from bucket_desktop.services.owner_setup.sandbox_check import (
    SANDBOX_PASSKEY,
    SANDBOX_SHORTCODE,
    sandbox_values_in_production,
)
from bucket_desktop.services.plans import default_plans
from bucket_desktop.services.relay_error_texts import relay_sentence
from bucket_desktop.services.shared_plans.local_import import duration_in


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "sw_KE.UTF-8"}, SWAHILI),
        ({"LANGUAGE": "sw:en", "LANG": "en_US.UTF-8"}, SWAHILI),
        ({"LC_ALL": "en_KE.UTF-8"}, ENGLISH),
        ({"LANG": "fr_FR.UTF-8"}, ENGLISH),
        ({"LANGUAGE": "Swahili_Kenya"}, SWAHILI),
    ],
)
def test_first_run_follows_the_system_language(environ: dict[str, str], expected: str) -> None:
    assert system_language(environ) == expected


def test_unknown_language_means_english() -> None:
    assert set_language("xx") == ENGLISH
    assert _("Save") == "Save"


def test_services_speak_swahili_once_chosen_and_english_by_default() -> None:
    with pytest.raises(RuleError, match="Enter the customer's phone number"):
        normalise_phone("")
    set_language(SWAHILI)
    assert current_language() == SWAHILI
    with pytest.raises(RuleError, match="Weka namba ya simu ya mteja"):
        normalise_phone("")
    assert result_meaning(1032).sentence == "Mteja ameghairi ombi."
    assert "hana pesa za kutosha" in result_meaning("1").sentence
    error = classify(
        500, b'{"errorCode": "500.001.1001", "errorMessage": "Unable to lock subscriber"}'
    )
    assert str(error).startswith("Kuna ombi lingine la M-PESA wazi")
    # The relay's refusals by code; an unknown code keeps the relay's own sentence.
    assert relay_sentence("invalid_token", "This token is not valid.").startswith("Tokeni hii")
    assert relay_sentence("new_code", "Something new.") == "Something new."
    set_language(ENGLISH)
    assert relay_sentence("invalid_token", "This token is not valid.") == "This token is not valid."


def test_qt_standard_button_texts_and_plural_forms() -> None:
    set_language(SWAHILI)
    assert _("Cancel") == "Ghairi" and _("&Yes") == "&Ndiyo"
    both = DarajaCredentials(
        consumer_key="k",
        consumer_secret="s",
        shortcode=SANDBOX_SHORTCODE,
        passkey=SANDBOX_PASSKEY,
        environment=Environment.PRODUCTION,
    )
    one = DarajaCredentials(
        consumer_key="k",
        consumer_secret="s",
        shortcode="600000",
        passkey=SANDBOX_PASSKEY,
        environment=Environment.PRODUCTION,
    )
    plural = sandbox_values_in_production(both) or ""
    singular = sandbox_values_in_production(one) or ""
    assert "shortcode 174379 na passkey ni thamani za majaribio" in plural
    assert "passkey ni thamani ya majaribio" in singular
    assert ngettext("{count} payment", "{count} payments", 2) == "malipo {count}"
    # A plural no catalog has falls back to the English forms.
    assert ngettext("{count} apple", "{count} apples", 1) == "{count} apple"


def test_amounts_dates_and_times_follow_the_language() -> None:
    moment = datetime(2026, 11, 30, 14, 5)
    assert format_amount(1500) == "KES 1,500"
    assert format_number(0.25, decimals=2) == "0.25"
    assert format_time(moment) == "14:05"
    assert format_date(moment, "full") == "Monday, 30 November 2026"
    set_language(SWAHILI)
    assert format_amount(250_000) == "KES 250,000"
    assert format_date(moment, "full") == "Jumatatu, 30 Novemba 2026"


def test_language_is_kept_in_the_settings() -> None:
    settings = AppSettings(language="sw")
    assert AppSettings.from_dict(settings.to_dict()).language == "sw"
    assert AppSettings.from_dict({}).language is None


def test_default_plans_in_kiswahili_keep_their_durations() -> None:
    set_language(SWAHILI)
    plans = default_plans()
    assert [plan.name for plan in plans][:2] == ["Saa 1", "Saa 3"]
    # The relay import reads the duration from the name, in either language.
    assert [duration_in(plan.name) for plan in plans] == [60, 180, 1440, 10080, 43200]
    assert duration_in("WiFi siku 3") == 3 * 1440
