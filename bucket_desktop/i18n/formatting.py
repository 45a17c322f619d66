"""Numbers, amounts, dates and times in the current language, from Babel's CLDR data.

Kenyan conventions in both languages (en_KE, sw_KE): 1,500 with a comma, 30/11/2026, 14:05.
Amounts keep the app's "KES 1,500" in both: it is what the counter screen and receipts say,
and M-PESA's own "Ksh" would put two spellings side by side.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bucket_desktop.i18n import current_language

_REGION = "KE"


def babel_locale() -> str:
    """The Babel locale of the current language ("sw_KE", "en_KE"; the language alone for one
    Babel has no Kenyan variant of)."""
    from babel.localedata import exists

    code = current_language()
    regional = f"{code}_{_REGION}"
    return regional if exists(regional) else code


def format_number(value: int | float, decimals: int | None = None) -> str:
    """1,234,567 (whole numbers), 1,234.5, or with exactly `decimals` digits (0.25)."""
    from babel.numbers import format_decimal

    pattern = None if decimals is None else "#,##0." + "0" * decimals
    return str(format_decimal(value, format=pattern, locale=babel_locale()))


def format_amount(amount: int) -> str:
    """Whole shillings: "KES 1,500"."""
    return f"KES {format_number(amount)}"


def format_date(value: date | datetime, length: str = "medium") -> str:
    """30 Nov 2026 (medium), 30/11/2026 (short), Jumatatu, 30 Novemba 2026 (full, Swahili)."""
    from babel.dates import format_date as babel_format_date

    return str(babel_format_date(value, length, locale=babel_locale()))


def format_time(value: time | datetime) -> str:
    """14:05."""
    from babel.dates import format_time as babel_format_time

    return str(babel_format_time(value, "HH:mm", locale=babel_locale()))


def format_day(value: date | datetime) -> str:
    """3 Dec (the day without the year, for dates close to now)."""
    from babel.dates import format_date as babel_format_date

    return str(babel_format_date(value, "d MMM", locale=babel_locale()))


def format_datetime(value: datetime) -> str:
    """30 Nov 2026 14:05."""
    return f"{format_date(value)} {format_time(value)}"


def format_duration(value: timedelta) -> str:
    """'3 minutes' / 'dakika 3', rounded to the largest sensible unit."""
    from babel.dates import format_timedelta

    return str(format_timedelta(value, locale=babel_locale()))
