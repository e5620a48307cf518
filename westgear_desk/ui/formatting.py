"""Swedish number, money, date and time formatting for every screen (babel, Europe/Stockholm).

The shop is Swedish, so figures are shown the Swedish way whatever the UI language
(`1 234,50 kr`, `2025-03-01 14:05`); only words such as "5 minutes ago" follow the language.
Babel's non-breaking spaces are turned into plain spaces so copied values paste cleanly.

Table cells format thousands of values while the user scrolls, on threads that share the
interpreter lock with the GUI, so the two hot paths are cheap: money takes the currency's
layout from babel once and then only formats the number (a test checks it against babel for
any amount), and date-times use the fixed numeric pattern directly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta
from babel.numbers import format_currency, format_decimal, get_currency_precision

from westgear_desk.ui.i18n import language

LOCALE: Final = "sv_SE"
ZONE: Final = ZoneInfo("Europe/Stockholm")
_SPACES = str.maketrans({"\xa0": " ", "\u202f": " ", "\u2212": "-"})
_SWEDISH_SEPARATORS = str.maketrans({",": " ", ".": ","})


def _plain(text: str) -> str:
    return text.translate(_SPACES)


def format_money(amount: Decimal | None, currency: str = "SEK") -> str:
    """`Decimal("1234.5")` -> "1 234,50 kr"; None -> "–". Floats are refused (money is Decimal)."""
    if amount is None:
        return "–"
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, not float")
    currency = currency or "SEK"
    layout = _money_layout(currency)
    if layout is None or not amount.is_finite():
        return _plain(format_currency(amount, currency, locale=LOCALE))
    digits, suffix = layout
    return f"{amount:,.{digits}f}".translate(_SWEDISH_SEPARATORS) + suffix


@lru_cache(maxsize=64)
def _money_layout(currency: str) -> tuple[int, str] | None:
    """How babel writes `currency` in Swedish: its decimals and what follows the number.

    None (always ask babel) unless babel puts the sign and number first, as sv_SE does.
    """
    digits = get_currency_precision(currency)
    sample = _plain(format_currency(Decimal(-1234), currency, locale=LOCALE))
    number = "-1 234" + ("," + "0" * digits if digits else "")
    if not sample.startswith(number):
        return None
    return digits, sample[len(number) :]


def format_number(value: Decimal | int | None, decimals: int | None = None) -> str:
    """Group thousands with a space and use a decimal comma: 1234.5 -> "1 234,5"."""
    if value is None:
        return "–"
    if decimals is None:
        return _plain(format_decimal(value, locale=LOCALE))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _plain(format_decimal(value, format=pattern, locale=LOCALE))


def format_quantity(value: Decimal | int | None) -> str:
    """Quantities without trailing zeros: Decimal("2.000") -> "2", Decimal("1.500") -> "1,5"."""
    if value is None:
        return "–"
    if isinstance(value, Decimal):
        value = value.normalize() if value == value.to_integral() else value
        value = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return format_number(value)


def local(moment: dt.datetime) -> dt.datetime:
    """The moment in Europe/Stockholm; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("refusing to format a naive datetime")
    return moment.astimezone(ZONE)


def format_datetime(moment: dt.datetime | None, seconds: bool = False) -> str:
    """Aware datetime -> "2025-03-01 14:05" (Stockholm time); None -> "–"."""
    if moment is None:
        return "–"
    at = local(moment)
    text = f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}"
    return f"{text}:{at.second:02d}" if seconds else text


def format_date(value: dt.date | dt.datetime | None) -> str:
    """A date (or the Stockholm date of a datetime) as "2025-03-01"."""
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return value.isoformat()


def format_age(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long ago, in the UI language: "för 5 minuter sedan" / "5 minutes ago"."""
    if moment is None:
        return "–"
    now = now or dt.datetime.now(dt.UTC)
    delta = moment - now
    locale = "sv_SE" if language() == "sv" else "en_GB"
    return _plain(format_timedelta(delta, add_direction=True, locale=locale))


def format_duration_ms(milliseconds: int | None) -> str:
    """850 -> "850 ms", 12_500 -> "12,5 s"."""
    if milliseconds is None:
        return "–"
    if milliseconds < 1000:
        return f"{milliseconds} ms"
    return f"{format_number(Decimal(milliseconds) / 1000, decimals=1)} s"
