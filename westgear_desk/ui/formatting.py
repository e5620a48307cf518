"""Swedish number, money, date and time formatting for every screen (babel, Europe/Stockholm).

The shop is Swedish, so figures are shown the Swedish way whatever the UI language
(`1 234,50 kr`, `2025-03-01 14:05`); only words such as "5 minutes ago" follow the language.
Babel's non-breaking spaces are turned into plain spaces so copied values paste cleanly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_timedelta
from babel.numbers import format_currency, format_decimal

from westgear_desk.ui.i18n import language

LOCALE: Final = "sv_SE"
ZONE: Final = ZoneInfo("Europe/Stockholm")
_SPACES = str.maketrans({"\xa0": " ", "\u202f": " ", "\u2212": "-"})


def _plain(text: str) -> str:
    return text.translate(_SPACES)


def format_money(amount: Decimal | None, currency: str = "SEK") -> str:
    """`Decimal("1234.5")` -> "1 234,50 kr"; None -> "–". Floats are refused (money is Decimal)."""
    if amount is None:
        return "–"
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, not float")
    return _plain(format_currency(amount, currency or "SEK", locale=LOCALE))


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
    pattern = "yyyy-MM-dd HH:mm:ss" if seconds else "yyyy-MM-dd HH:mm"
    return _babel_datetime(local(moment), pattern, locale=LOCALE)


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
